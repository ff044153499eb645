import { z } from 'zod';
import {
  DEFAULT_TASK_QUEUES,
  type Queue,
  TASK_QUEUE_NAME,
  type TaskQueues,
} from '../src/contracts/task-queues.ts';
import { dataDir, defaultStoreDir } from '../src/config/data-dir.ts';
import { storeLocationFromEnv } from '../src/config/store-env.ts';
import { type ExecutionProvider, ExecutionProviderSchema } from '../src/engine/host/protocol.ts';
import type { StoreLocation } from '../src/store/store-location.ts';
import { temporalAddress, temporalNamespace } from '../src/temporal/address.ts';
import { ValidationError } from '../src/util/errors.ts';
import { DEFAULT_GENERATION_SLOTS } from '../src/engine/generate.ts';

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const queue = (fallback: string) =>
  z.string().regex(TASK_QUEUE_NAME, 'a task-queue name (letters, digits, . _ -)').default(fallback);
const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .default('')
  .transform((v) => v === '1' || v === 'true');

/**
 * Worker settings from the environment (every variable optional):
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE             the server (default localhost:7233, default)
 *   ANCHORAGE_TASK_QUEUE_{WORKFLOW,ROLLOUT,JUDGE,TRAINER}  queue names (must match the runs' configs)
 *   ANCHORAGE_DATA_DIR                               the data folder (default run-data/): evaluation
 *                                                    suites' answer folders, under runs/<id>/evals/
 *   ANCHORAGE_STORE_DIR                              the artifact store's folder (default <data dir>/store)
 *   ANCHORAGE_STORE_URL                              s3://<bucket>/<prefix>: the store is that bucket instead,
 *                                                    with AWS_ENDPOINT_URL (MinIO, Ceph), AWS_REGION and the
 *                                                    credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 *   ANCHORAGE_STORE_CACHE                            with a bucket: this worker's read-through object cache
 *                                                    (default <data dir>/store-cache)
 *   ANCHORAGE_{WORKFLOW,ROLLOUT,JUDGE,TRAINER}_CONCURRENCY  tasks run at once per queue
 *   ANCHORAGE_SHUTDOWN_GRACE_SECONDS                 time running activities get to finish on shutdown
 *   ANCHORAGE_ENGINE_THREADS                         ONNX Runtime threads per session (default 1; the
 *                                                    in-process worker of `anchorage train`: every core)
 *   ANCHORAGE_EXECUTION_PROVIDER                     cpu (default) or cuda: where the policy's sessions run
 *   ANCHORAGE_ROLLOUT_BATCH                          sequences decoded together: the engine's KV cache rows (default 32)
 *   ANCHORAGE_TRAIN_MICRO_BATCH                      sequences per training micro-batch (default: all)
 *   ANCHORAGE_MEASURE_KL                             report KL to the base model even when its coefficient is 0
 *   ANCHORAGE_WORKFLOW_BUNDLE                        a prebuilt workflow bundle (skips bundling at start)
 *   ANCHORAGE_METRICS_PORT                           serve Prometheus metrics at http://<host>:<port>/metrics
 *                                                    (unset: none; 0: any free port, logged); one endpoint per process
 *   ANCHORAGE_METRICS_HOST                           the address it listens on (default 0.0.0.0)
 */
const WorkerEnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().optional(),
  ANCHORAGE_TASK_QUEUE_WORKFLOW: queue(DEFAULT_TASK_QUEUES.workflow),
  ANCHORAGE_TASK_QUEUE_ROLLOUT: queue(DEFAULT_TASK_QUEUES.rollout),
  ANCHORAGE_TASK_QUEUE_JUDGE: queue(DEFAULT_TASK_QUEUES.judge),
  ANCHORAGE_TASK_QUEUE_TRAINER: queue(DEFAULT_TASK_QUEUES.trainer),
  ANCHORAGE_STORE_DIR: z.string().min(1).optional(),
  ANCHORAGE_WORKFLOW_CONCURRENCY: count(8),
  ANCHORAGE_ROLLOUT_CONCURRENCY: count(1),
  ANCHORAGE_JUDGE_CONCURRENCY: count(4),
  ANCHORAGE_TRAINER_CONCURRENCY: count(1),
  ANCHORAGE_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).default(30),
  ANCHORAGE_ENGINE_THREADS: z.coerce.number().int().min(1).optional(),
  ANCHORAGE_EXECUTION_PROVIDER: ExecutionProviderSchema.default('cpu'),
  ANCHORAGE_ROLLOUT_BATCH: count(DEFAULT_GENERATION_SLOTS),
  ANCHORAGE_TRAIN_MICRO_BATCH: z.coerce.number().int().min(1).optional(),
  ANCHORAGE_MEASURE_KL: flag,
  ANCHORAGE_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  ANCHORAGE_METRICS_PORT: z.coerce.number().int().min(0).max(65_535, 'a TCP port (0 to 65535)').optional(),
  ANCHORAGE_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
});

export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueues: TaskQueues;
  /** The local store's folder (ANCHORAGE_STORE_DIR, else <data dir>/store). */
  storeDir: string;
  /** The store workers open: `storeDir`, unless ANCHORAGE_STORE_URL names a bucket (store-env.ts). */
  store: StoreLocation;
  /** The data folder (ANCHORAGE_DATA_DIR, else run-data/): evaluation suites' answer folders. */
  dataDir: string;
  /** Tasks run at once per queue. */
  concurrency: { [Q in Queue]: number };
  shutdownGraceMs: number;
  engineThreads: number | undefined;
  executionProvider: ExecutionProvider;
  rolloutBatch: number;
  trainMicroBatch: number | undefined;
  measureKl: boolean;
  workflowBundle: string | undefined;
  /** Where the process serves its Prometheus metrics (workers/metrics-endpoint.ts); undefined: nowhere. */
  metrics: MetricsSettings | undefined;
}

export interface MetricsSettings {
  host: string;
  /** 0: any free port (the one taken is logged with "metrics served"). */
  port: number;
}

/** Reads and checks the worker settings; a bad variable is named with what was expected. */
export function workerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = WorkerEnvSchema.safeParse(blankless);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`environment variable ${String(issue.path[0])}: expected ${issue.message}`);
  }
  const e = parsed.data;
  return {
    address: temporalAddress(env),
    namespace: temporalNamespace(env),
    taskQueues: {
      workflow: e.ANCHORAGE_TASK_QUEUE_WORKFLOW,
      rollout: e.ANCHORAGE_TASK_QUEUE_ROLLOUT,
      judge: e.ANCHORAGE_TASK_QUEUE_JUDGE,
      trainer: e.ANCHORAGE_TASK_QUEUE_TRAINER,
    },
    storeDir: defaultStoreDir({ env }),
    store: storeLocationFromEnv({ env }),
    dataDir: dataDir({ env }),
    concurrency: {
      workflow: e.ANCHORAGE_WORKFLOW_CONCURRENCY,
      rollout: e.ANCHORAGE_ROLLOUT_CONCURRENCY,
      judge: e.ANCHORAGE_JUDGE_CONCURRENCY,
      trainer: e.ANCHORAGE_TRAINER_CONCURRENCY,
    },
    shutdownGraceMs: e.ANCHORAGE_SHUTDOWN_GRACE_SECONDS * 1000,
    engineThreads: e.ANCHORAGE_ENGINE_THREADS,
    executionProvider: e.ANCHORAGE_EXECUTION_PROVIDER,
    rolloutBatch: e.ANCHORAGE_ROLLOUT_BATCH,
    trainMicroBatch: e.ANCHORAGE_TRAIN_MICRO_BATCH,
    measureKl: e.ANCHORAGE_MEASURE_KL,
    workflowBundle: e.ANCHORAGE_WORKFLOW_BUNDLE,
    metrics:
      e.ANCHORAGE_METRICS_PORT === undefined
        ? undefined
        : { host: e.ANCHORAGE_METRICS_HOST, port: e.ANCHORAGE_METRICS_PORT },
  };
}

/**
 * The environment that gives a worker process (an entry in workers/) `workerSettings` for this
 * server, store, data folder, queues, prebuilt workflow bundle and metrics endpoint: the variables
 * above, set.
 */
export function workerProcessEnv(options: {
  address: string;
  storeDir: string;
  dataDir?: string;
  taskQueues: TaskQueues;
  workflowBundle?: string;
  metrics?: MetricsSettings;
}): Record<string, string> {
  const { taskQueues } = options;
  return {
    TEMPORAL_ADDRESS: options.address,
    ANCHORAGE_STORE_DIR: options.storeDir,
    ...(options.dataDir === undefined ? {} : { ANCHORAGE_DATA_DIR: options.dataDir }),
    ...(options.workflowBundle === undefined ? {} : { ANCHORAGE_WORKFLOW_BUNDLE: options.workflowBundle }),
    ANCHORAGE_TASK_QUEUE_WORKFLOW: taskQueues.workflow,
    ANCHORAGE_TASK_QUEUE_ROLLOUT: taskQueues.rollout,
    ANCHORAGE_TASK_QUEUE_JUDGE: taskQueues.judge,
    ANCHORAGE_TASK_QUEUE_TRAINER: taskQueues.trainer,
    ...(options.metrics === undefined
      ? {}
      : {
          ANCHORAGE_METRICS_HOST: options.metrics.host,
          ANCHORAGE_METRICS_PORT: String(options.metrics.port),
        }),
  };
}
