import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { prepareRun } from '../src/config/check.ts';
import { WORKER_ROLES } from '../src/contracts/task-queues.ts';
import { parseRunConfig } from '../src/config/load.ts';
import { ADAPTER_FILE } from '../src/engine/checkpoint.ts';
import { openModel } from '../src/engine/model-files.ts';
import { writeTinyModel } from '../src/engine/testing/tiny-model.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { listCheckpoints } from '../src/store/run-refs.ts';
import type { ArtifactStore } from '../src/store/store.ts';
import { createTestEnv } from '../src/temporal/test-env.ts';
import { readCheckpoint, type StoredCheckpoint } from '../src/train/checkpoint-store.ts';
import type { WorkerSettings } from '../workers/env.ts';
import { installTemporalLogging } from '../workers/logging.ts';
import { type RunningWorkers, startWorkers } from '../workers/start-workers.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';

export { type TinyRunOptions, tinyTaskQueues, writeTinyRun } from '../src/train/testing/tiny-run.ts';

/**
 * Shared pieces of the Temporal integration tests: the tiny run (src/train/testing/tiny-run.ts),
 * worker settings, checkpoint-chain checks and history collection (event waits: test/history-waits.ts).
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
    dataDir: options.dataDir ?? dirname(options.storeDir),
    concurrency: { workflow: 8, rollout: 1, judge: 4, trainer: 1 },
    shutdownGraceMs: 2_000,
    engineThreads: 1,
    executionProvider: 'cpu',
    rolloutBatch: 8,
    trainMicroBatch: undefined,
    measureKl: false,
    workflowBundle: options.workflowBundle,
  };
}

export { writeTinyModel };

/**
 * Every checkpoint of a run, checked as a chain: one per step 1..n, each trained from the one before
 * (`parent`), its adapters verified against their hashes, a hash chain over the weights (the update
 * of step n started from exactly step n-1's adapters: `trainedFrom`; an update that applied nothing
 * kept them), and the optimizer step count growing by exactly one per applied update. Returns the
 * records in step order.
 */
export async function checkpointChain(options: { store: ArtifactStore; trainRunId: string; model: string }) {
  const { store, trainRunId } = options;
  const listed = await listCheckpoints({ store, trainRunId });
  const config = (await openModel({ path: options.model })).source.config;
  const chain: Array<{ step: number; address: string; record: StoredCheckpoint; adapter: string }> = [];
  let parent: string | null = null;
  let parentAdapter: string | undefined;
  let optimizerSteps = 0;
  for (const [i, c] of listed.entries()) {
    if (c.step !== i + 1) throw new Error(`checkpoint steps are not 1..n: ${listed.map((l) => l.step)}`);
    const { record } = await readCheckpoint({ store, address: c.address, model: config });
    if (record.parent !== parent)
      throw new Error(`checkpoint ${c.step} has parent ${record.parent}, expected ${parent}`);
    const expected = optimizerSteps + (record.update.applied ? 1 : 0);
    if (record.optimizerSteps !== expected) {
      throw new Error(`checkpoint ${c.step}: ${record.optimizerSteps} optimizer steps, expected ${expected}`);
    }
    const adapter = record.files[ADAPTER_FILE]!;
    if (record.trainedFrom === undefined) throw new Error(`checkpoint ${c.step} records no trainedFrom`);
    if (parentAdapter !== undefined && record.trainedFrom !== parentAdapter) {
      throw new Error(
        `checkpoint ${c.step} was trained from adapters ${record.trainedFrom}, not step ${c.step - 1}'s ${parentAdapter}`,
      );
    }
    if (!record.update.applied && adapter !== record.trainedFrom) {
      throw new Error(`checkpoint ${c.step} applied no update but its adapters changed`);
    }
    chain.push({ step: c.step, address: c.address, record, adapter });
    parent = c.address;
    parentAdapter = adapter;
    optimizerSteps = expected;
  }
  return chain;
}

/** Histories of a run's executions (following continue-as-new) and of its step and evaluation workflows. */
export async function runHistories(options: { client: Client; trainRunId: string; firstRunId: string }) {
  const { client, trainRunId } = options;
  const out: Array<{ workflowId: string; history: History }> = [];
  let runId: string | undefined = options.firstRunId;
  const children = new Set<string>();
  while (runId !== undefined) {
    const history: History = await client.workflow.getHandle(trainRunId, runId).fetchHistory();
    out.push({ workflowId: trainRunId, history });
    runId = undefined;
    for (const event of history.events ?? []) {
      const started = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
      if (started) children.add(started);
      const next = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (next) runId = next;
    }
  }
  for (const workflowId of children) {
    out.push({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() });
  }
  return out;
}

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
