#!/usr/bin/env bash
# Installs moto's standalone server (an S3-compatible server in one Python process) into the
# project-local virtual environment .tools/moto-venv and prints the server's path. Only the tests of
# the S3 artifact store use it (src/store/s3-store.test.ts starts one on a free port); production
# uses MinIO, Ceph or AWS S3. Idempotent: an installed server of the pinned version is left alone.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=lib/venv.sh
source scripts/lib/venv.sh

VERSION="5.2.6"
PACKAGE_SPEC="moto[server]==$VERSION"
VENV=".tools/moto-venv"
BIN="$VENV/bin/moto_server"

log() { echo "setup-moto: $*" >&2; }

installed_version() {
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null
}

if [ -x "$BIN" ]; then
  version=$(installed_version || true)
  if [ "$version" = "$VERSION" ]; then
    log "moto $version already installed"
    realpath "$BIN"
    exit 0
  fi
  log "found '$BIN' with moto '${version:-unknown}', expected $VERSION; reinstalling"
fi

ensure_venv "$VENV"
log "installing $PACKAGE_SPEC from PyPI"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "$PACKAGE_SPEC" >&2

version=$(installed_version || true)
if [ ! -x "$BIN" ] || [ "$version" != "$VERSION" ]; then
  log "pip installed $PACKAGE_SPEC but '$BIN' is missing or reports moto '${version:-nothing}'"
  exit 1
fi
log "installed moto $version"
realpath "$BIN"
