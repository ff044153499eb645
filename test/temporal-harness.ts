import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { runProgress } from '../src/client/history-waits.ts';
import type { TrainingRunResult, TrainingRunWorkflow } from '../src/contracts/workflow-types.ts';
import { prepareRun } from '../src/config/check.ts';
import { WORKER_ROLES } from '../src/contracts/task-queues.ts';
import { parseRunConfig } from '../src/config/load.ts';
import { writeTinyModel } from '../src/engine/testing/tiny-model.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { createTestEnv } from '../src/temporal/test-env.ts';
import type { WorkerSettings } from '../workers/env.ts';
import { installTemporalLogging } from '../workers/logging.ts';
import { type RunningWorkers, startWorkers } from '../workers/start-workers.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';

export { type TinyRunOptions, tinyTaskQueues, writeTinyRun } from '../src/train/testing/tiny-run.ts';
export { checkpointChain } from '../src/train/checkpoint-chain.ts';
export { runHistories } from '../src/client/run-histories.ts';

/**
 * Shared pieces of the Temporal integration tests: the tiny run (src/train/testing/tiny-run.ts),
 * worker settings, checkpoint-chain checks (src/train/checkpoint-chain.ts) and history collection
 * (src/client/run-histories.ts; event waits: src/client/history-waits.ts).
 */

/** Validates a configuration file the way `anchorage train` does. */
export async function prepareFile(file: string) {
  const text = await readFile(file, 'utf8');
  const prepared = prepareRun({ loaded: parseRunConfig({ text, file }) });
  return { file, text, prepared };
}

/** Worker settings for a test: its server, store and queues, short shutdown grace. */
export function testWorkerSettings(options: {
  address: string;
  namespace?: string;
  storeDir: string;
  /** Default: the store folder's parent (a test's temporary folder). */
  dataDir?: string;
  taskQueues: TaskQueues;
  workflowBundle?: string;
}): WorkerSettings {
  return {
    address: options.address,
    namespace: options.namespace ?? 'default',
    taskQueues: options.taskQueues,
    storeDir: options.storeDir,
    store: { type: 'local', path: options.storeDir },
    dataDir: options.dataDir ?? dirname(options.storeDir),
    concurrency: { workflow: 8, rollout: 1, judge: 4, trainer: 1 },
    shutdownGraceMs: 2_000,
    engineThreads: 1,
    executionProvider: 'cpu',
    rolloutBatch: 8,
    trainMicroBatch: undefined,
    measureKl: false,
    workflowBundle: options.workflowBundle,
    metrics: undefined,
  };
}

export { writeTinyModel };

/** A real test server, the tiny model, a store folder and in-process workers for every queue. */
export interface InProcessTemporal {
  env: TestWorkflowEnvironment;
  model: Awaited<ReturnType<typeof writeTinyModel>>;
  dir: string;
  storeDir: string;
  store: LocalFolderStore;
  workers: RunningWorkers;
  /** Shuts the workers down, tears the server down and removes the folder. */
  stop(): Promise<void>;
}

export async function startInProcessTemporal(options: {
  queues: TaskQueues;
  dirPrefix: string;
  modelSeed?: number;
  /** A chat template for the tiny model (evaluation suites give chat prompts). */
  chatTemplate?: string;
}): Promise<InProcessTemporal> {
  // The runtime is a process-wide singleton: bridge its logger before the test server creates it.
  installTemporalLogging();
  const env = await createTestEnv();
  const model = await writeTinyModel({
    seed: options.modelSeed ?? 5,
    ...(options.chatTemplate === undefined ? {} : { chatTemplate: options.chatTemplate }),
  });
  const dir = await mkdtemp(join(tmpdir(), options.dirPrefix));
  const storeDir = join(dir, 'store');
  const store = new LocalFolderStore({ root: storeDir });
  const workers = await startWorkers({
    roles: WORKER_ROLES,
    settings: testWorkerSettings({ address: env.address, storeDir, taskQueues: options.queues }),
    store,
  });
  return {
    env,
    model,
    dir,
    storeDir,
    store,
    workers,
    async stop() {
      await workers.shutdown();
      await env.teardown();
      await model.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A run's result, or a failure as soon as one of its steps fails for good (the run would wait for
 * `resume` forever): a test that goes wrong ends with the step's error instead of its timeout.
 */
export async function runResult(options: {
  client: Client;
  handle: WorkflowHandle<TrainingRunWorkflow>;
  trainRunId: string;
}): Promise<TrainingRunResult> {
  const failed = runProgress({
    client: options.client,
    trainRunId: options.trainRunId,
    what: 'a failed step',
    until: (p) => p.failure !== null,
  }).then(
    (p) => {
      throw new Error(`step ${p.failure?.step} failed (${p.failure?.type}): ${p.failure?.message}`);
    },
    // The run closed without a failure: its result says how it ended.
    () => new Promise<never>(() => {}),
  );
  return Promise.race([options.handle.result(), failed]);
}
