#!/usr/bin/env bash
# Installs PyTorch 2.13 (CPU) into the project-local venv .tools/torch-venv. PyTorch is used only as
# an independent oracle in tests (scripts/torch-oracle/): the training graph's gradients are checked
# against torch autograd. Idempotent: a venv whose python already imports torch 2.13.0 is left alone.
# Prints the venv's python path.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/venv.sh
source scripts/lib/venv.sh

VENV=".tools/torch-venv"
VERSION="2.13.0"
PY="$VENV/bin/python"

log() { echo "setup-torch: $*" >&2; }

installed() {
  [ -x "$PY" ] && "$PY" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$VERSION' else 1)" 2>/dev/null
}

if installed; then
  log "torch $VERSION already installed in $VENV"
  echo "$(pwd)/$PY"
  exit 0
fi

ensure_venv "$VENV"
log "installing torch==$VERSION into $VENV"
"$VENV/bin/pip" install --disable-pip-version-check --quiet "torch==$VERSION" >&2
installed || { log "torch $VERSION does not import from $VENV after installing"; exit 1; }
log "installed"
echo "$(pwd)/$PY"
