import type { Logger } from 'pino';
import { dataDir } from '../src/config/data-dir.ts';
import { DEFAULT_GENERATION_SLOTS } from '../src/engine/generate.ts';
import type { ExecutionProvider } from '../src/engine/host/protocol.ts';
import { defaultVerifiers } from '../src/rubric/verifiers/index.ts';
import type { VerifierRegistry } from '../src/rubric/verifiers/registry.ts';
import type { ArtifactStore } from '../src/store/store.ts';
import { logger } from '../src/util/logger.ts';
import { generatorClient } from '../src/rubric-authoring/client.ts';
import type { GeneratorClientFactory } from '../src/rubric-authoring/generate-shard.ts';
import { DEFAULT_HEARTBEAT_EVERY_MS } from './heartbeat.ts';
import { createPolicyPool, type PolicyProvider } from '../src/step/policy-pool.ts';
import {
  createRunLoader,
  defaultJudgeFactory,
  type JudgeFactory,
  type RunLoader,
} from '../src/step/run-context.ts';
import { judgeWithTelemetry } from '../src/telemetry/judge-telemetry.ts';
import { NO_TELEMETRY, type TrainingTelemetry } from '../src/telemetry/training-telemetry.ts';

/** What the activities need from the outside world; injected so tests and workers choose. */
export interface ActivityDeps {
  store: ArtifactStore;
  /** Policies (engine) by model, lent to one activity at a time. */
  policies: PolicyProvider;
  /** Run configurations by store address (prepared: prompts and rubrics resolved, judge from `judge`). */
  loadRun: RunLoader;
  verifiers: VerifierRegistry;
  log: Logger;
  /** Sequences the engine decodes together (its KV cache rows); the rest wait for a free row. */
  rolloutBatch: number;
  /** Sequences per training micro-batch; undefined: the whole batch at once. */
  trainMicroBatch: number | undefined;
  /** Compute KL to the reference model even when its coefficient is 0 (one more forward pass). */
  measureKl: boolean;
  /** Heartbeat period of activities (at most a third of their heartbeat timeout, see heartbeat.ts). */
  heartbeatEveryMs: number;
  /** Names this worker process in update records. */
  workerName: string;
  /** The local data folder (ANCHORAGE_DATA_DIR): evaluation suites keep their answer folders here. */
  dataDir: string;
  /** Where the step's phases report their timings and counts (the worker's metrics endpoint). */
  telemetry: TrainingTelemetry;
  /** The rubric generator's HTTP client for a judge config (its key from this worker's environment). */
  generatorClient: GeneratorClientFactory;
}

/** Defaults for everything but the store. */
export function createActivityDeps(options: {
  store: ArtifactStore;
  env?: NodeJS.ProcessEnv;
  policies?: PolicyProvider;
  /** The LLM judge for runs that name one (default: the OpenAI-compatible judge with its verdict cache). */
  judge?: JudgeFactory;
  engineThreads?: number;
  /** Where the policy's ONNX Runtime sessions run (default 'cpu'). */
  executionProvider?: ExecutionProvider;
  rolloutBatch?: number;
  trainMicroBatch?: number;
  measureKl?: boolean;
  heartbeatEveryMs?: number;
  workerName?: string;
  /** Default: the data folder of `env` (ANCHORAGE_DATA_DIR, else run-data/). */
  dataDir?: string;
  /** Default: records nothing. The judge's calls are reported too. */
  telemetry?: TrainingTelemetry;
  log?: Logger;
}): ActivityDeps {
  const { store } = options;
  const telemetry = options.telemetry ?? NO_TELEMETRY;
  const judge = options.judge ?? defaultJudgeFactory(options.env);
  return {
    store,
    policies:
      options.policies ??
      createPolicyPool({
        ...(options.engineThreads === undefined ? {} : { threads: options.engineThreads }),
        ...(options.executionProvider === undefined ? {} : { executionProvider: options.executionProvider }),
      }),
    loadRun: createRunLoader({
      store,
      ...(options.env === undefined ? {} : { env: options.env }),
      judge: telemetry === NO_TELEMETRY ? judge : (config) => judgeWithTelemetry(judge(config), telemetry),
    }),
    verifiers: defaultVerifiers(),
    log: options.log ?? logger('activities'),
    rolloutBatch: options.rolloutBatch ?? DEFAULT_GENERATION_SLOTS,
    trainMicroBatch: options.trainMicroBatch,
    measureKl: options.measureKl ?? false,
    heartbeatEveryMs: options.heartbeatEveryMs ?? DEFAULT_HEARTBEAT_EVERY_MS,
    workerName: options.workerName ?? `pid-${process.pid}`,
    dataDir: options.dataDir ?? dataDir(options.env === undefined ? {} : { env: options.env }),
    telemetry,
    generatorClient: ({ config, log }) => generatorClient({ config, env: options.env ?? process.env, log }),
  };
}
