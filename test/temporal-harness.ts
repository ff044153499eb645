import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareRun } from '../src/config/check.ts';
import { parseRunConfig } from '../src/config/load.ts';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { ADAPTER_FILE } from '../src/engine/checkpoint.ts';
import { openModel } from '../src/engine/model-files.ts';
import { writeTinyModel } from '../src/engine/testing/tiny-model.ts';
import { listCheckpoints } from '../src/store/run-refs.ts';
import type { ArtifactStore } from '../src/store/store.ts';
import { readCheckpoint, type StoredCheckpoint } from '../src/train/checkpoint-store.ts';
import type { WorkerSettings } from '../workers/env.ts';
import type { TaskQueues } from '../workflows/types.ts';

/**
 * Shared pieces of the Temporal integration tests: a run on the tiny random Llama (2 layers, byte
 * vocabulary, 128-token context) whose prompts carry verifier-only instance rubrics with rewards that
 * vary within a group from the start, so every step has a learning signal and runs in well under a
 * second of engine time.
 */

export interface TinyRunOptions {
  dir: string;
  /** Names the task queues, so runs of different tests never share workers by accident. */
  queuePrefix: string;
  steps: number;
  prompts?: number;
  promptsPerStep?: number;
  groupSize?: number;
  maxNewTokens?: number;
  continueAsNewEvery?: number;
  checkpointEvery?: number;
  evaluationEvery?: number;
  learningRate?: number;
  klCoefficient?: number;
  /** A judge config file: adds a judged criterion to every prompt's rubric. */
  judgeConfig?: string;
  modelPath: string;
  storeDir: string;
}

export function tinyTaskQueues(prefix: string): TaskQueues {
  return {
    workflow: `${prefix}-workflow`,
    rollout: `${prefix}-rollout`,
    judge: `${prefix}-judge`,
    trainer: `${prefix}-trainer`,
  };
}

/** Writes the prompt file and the run configuration; returns the configuration's path. */
export async function writeTinyRun(options: TinyRunOptions): Promise<string> {
  await mkdir(options.dir, { recursive: true });
  const promptsFile = join(options.dir, 'prompts.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < (options.prompts ?? 6); i++) {
    const criteria: unknown[] = [
      {
        id: 'letters',
        description: 'At least three ASCII letters.',
        weight: 1,
        passFail: true,
        evaluator: { type: 'verifier', name: 'text.regex', params: { pattern: '[A-Za-z]', minCount: 3 } },
      },
      {
        id: 'no-control',
        description: 'No control characters.',
        weight: 1,
        passFail: true,
        evaluator: {
          type: 'verifier',
          name: 'text.regex',
          params: { pattern: '[\\u0000-\\u0008\\u000e-\\u001f]', must: 'no-match' },
        },
      },
    ];
    if (options.judgeConfig !== undefined) {
      criteria.push({
        id: 'judged-tone',
        description: 'The reply is calm.',
        weight: 0.5,
        passFail: true,
        evaluator: { type: 'judge' },
      });
    }
    lines.push(
      JSON.stringify({
        id: `tiny-${i}`,
        prompt: `Say something ${i}.`,
        rubric: {
          id: `tiny/instance-${i}`,
          version: 1,
          title: `tiny prompt ${i}`,
          scope: 'instance',
          criteria,
        },
      }),
    );
  }
  await writeFile(promptsFile, `${lines.join('\n')}\n`);
  const config = {
    name: 'tiny',
    seed: 3,
    model: { path: options.modelPath, name: 'tiny-llama' },
    lora: { rank: 4, alpha: 8 },
    prompts: { sources: [{ type: 'jsonl', name: 'tiny', file: promptsFile, role: 'both' }] },
    ...(options.judgeConfig === undefined ? {} : { judge: { config: options.judgeConfig } }),
    rl: {
      groupSize: options.groupSize ?? 4,
      promptsPerStep: options.promptsPerStep ?? 2,
      learningRate: options.learningRate ?? 1e-2,
      klCoefficient: options.klCoefficient ?? 0,
      maxNewTokens: options.maxNewTokens ?? 12,
    },
    steps: options.steps,
    checkpointEvery: options.checkpointEvery ?? 2,
    evaluation: { every: options.evaluationEvery ?? 0, maxPrompts: 2, maxNewTokens: 8 },
    temporal: {
      continueAsNewEvery: options.continueAsNewEvery ?? 20,
      taskQueues: tinyTaskQueues(options.queuePrefix),
    },
    store: { path: options.storeDir },
  };
  const file = join(options.dir, 'run.yaml');
  // JSON is YAML.
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

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
  taskQueues: TaskQueues;
  workflowBundle?: string;
}): WorkerSettings {
  return {
    address: options.address,
    namespace: options.namespace ?? 'default',
    taskQueues: options.taskQueues,
    storeDir: options.storeDir,
    concurrency: { workflow: 8, rollout: 1, judge: 4, trainer: 1 },
    shutdownGraceMs: 2_000,
    engineThreads: 1,
    rolloutBatch: 8,
    trainMicroBatch: undefined,
    measureKl: false,
    workflowBundle: options.workflowBundle,
  };
}

export { writeTinyModel };

/** Polls `probe` until it returns a value other than undefined (or throws after `timeoutMs`). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

/**
 * Every checkpoint of a run, checked as a chain: one per step 1..n, each trained from the one before
 * (`parent`), its adapters verified against their hashes, and the optimizer step count growing by
 * exactly one per applied update. Returns the records in step order.
 */
export async function checkpointChain(options: { store: ArtifactStore; trainRunId: string; model: string }) {
  const { store, trainRunId } = options;
  const listed = await listCheckpoints({ store, trainRunId });
  const config = (await openModel({ path: options.model })).source.config;
  const chain: Array<{ step: number; address: string; record: StoredCheckpoint; adapter: string }> = [];
  let parent: string | null = null;
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
    chain.push({ step: c.step, address: c.address, record, adapter: record.files[ADAPTER_FILE]! });
    parent = c.address;
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
