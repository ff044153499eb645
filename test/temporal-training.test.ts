import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { LocalFolderStore } from '../src/store/local-store.ts';
import { MODEL_NAME, TRAIN_RUN_ID, TRAIN_STEP } from '../src/contracts/search-attributes.ts';
import { MetricsRecord } from '../src/train/metrics.ts';
import { readMetrics } from '../src/train/read-metrics.ts';
import { countRefusals } from '../src/step/refusals.ts';
import { RolloutBatch, readRolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { SelectionRecord } from '../src/train/selection.ts';
import { WORKFLOWS_PATH, workflowBundle } from '../workers/bundle.ts';
import { signalRun, startTrainingRun } from '../src/client/run-client.ts';
import { runProgress } from '../src/client/history-waits.ts';
import {
  checkpointChain,
  type InProcessTemporal,
  prepareFile,
  runHistories,
  startInProcessTemporal,
  tinyTaskQueues,
  type writeTinyModel,
  writeTinyRun,
} from './temporal-harness.ts';

const FIXTURES = fileURLToPath(new URL('fixtures/temporal-histories/', import.meta.url));

/**
 * Keeps this run's histories as the replay fixtures (`ANCHORAGE_RECORD_HISTORIES=1 npm test --
 * test/temporal-training`): test/temporal-replay.test.ts replays them against the current workflow
 * code, so a change that would break running workflows fails there.
 */
async function recordHistories(histories: Array<{ workflowId: string; history: History }>): Promise<void> {
  await rm(FIXTURES, { recursive: true, force: true });
  await mkdir(FIXTURES, { recursive: true });
  for (const [i, { workflowId, history }] of histories.entries()) {
    // Binary protobuf: encoded and decoded by the same @temporalio/proto the worker uses.
    const name = `${String(i).padStart(2, '0')}-${workflowId.replace(/^[^/]*\/?/, '') || 'run'}.binpb`;
    await writeFile(join(FIXTURES, name), proto.temporal.api.history.v1.History.encode(history).finish());
  }
}

describe('training runs on Temporal (real server, tiny model, in-process workers)', () => {
  let env: TestWorkflowEnvironment;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let dir: string;
  let storeDir: string;
  let store: LocalFolderStore;
  const queues = tinyTaskQueues('train-test');

  let fixture: InProcessTemporal | undefined;

  before(async () => {
    fixture = await startInProcessTemporal({ queues, dirPrefix: 'anchorage-training-' });
    ({ env, model, dir, storeDir, store } = fixture);
  });
  after(async () => {
    await fixture?.stop();
  });

  const startRun = async (
    options: Partial<Parameters<typeof writeTinyRun>[0]> & { name: string; steps: number },
  ) => {
    const file = await writeTinyRun({
      dir: join(dir, options.name),
      queuePrefix: 'train-test',
      modelPath: model.path,
      storeDir,
      ...options,
    });
    const { prepared, text } = await prepareFile(file);
    return startTrainingRun({
      client: env.client,
      store,
      prepared,
      file,
      text,
      trainRunId: `${options.name}-run`,
      timing: { heartbeatTimeoutSeconds: 10 },
    });
  };

  it('bundles the workflow code: no Node built-ins, no activity implementations', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
    for (const name of [
      'trainingRunWorkflow',
      'trainingStepWorkflow',
      'evaluationWorkflow',
      'dataSelectionWorkflow',
      'scheduledEvaluationWorkflow',
    ]) {
      assert.match(code, new RegExp(`function ${name}\\b`), name);
    }
    // Activity implementations (and the engine behind them) stay out of the sandbox bundle.
    for (const absent of [
      'generateRolloutsActivity',
      'createPolicyPool',
      'onnxruntime',
      'LocalFolderStore',
    ]) {
      assert.ok(!code.includes(absent), `${absent} is not bundled`);
    }
  });

  it('a run completes: one checkpoint per step, continue-as-new, search attributes, metrics, evaluations; its histories replay', async () => {
    const run = await startRun({
      name: 'full',
      steps: 5,
      continueAsNewEvery: 2,
      evaluationEvery: 3,
      checkpointEvery: 2,
    });
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.completedSteps, 5);

    const chain = await checkpointChain({ store, trainRunId: run.trainRunId, model: model.path });
    assert.equal(chain.length, 5, 'committed checkpoints == steps');
    assert.equal(result.lastCheckpoint?.address, chain[4]!.address);
    assert.equal(await store.getRef(runRefs.latest(run.trainRunId)), chain[4]!.address);
    const milestones = (await store.listRefs(`runs/${run.trainRunId}/milestones/`)).map((r) =>
      r.name.split('/').at(-1),
    );
    assert.deepEqual(milestones, ['step-2', 'step-4', 'step-5']);
    assert.ok(
      chain.some((c) => c.record.update.applied),
      'at least one step had a learning signal',
    );

    // Metrics file: one line per step and per evaluation (before training, after steps 3 and 5).
    const records = await readMetrics({ store, trainRunId: run.trainRunId });
    assert.deepEqual(
      records.map((r) => `${r.purpose}-${r.step}`),
      ['eval-0', 'train-1', 'train-2', 'train-3', 'eval-3', 'train-4', 'train-5', 'eval-5'],
    );
    for (const r of records.filter((x) => x.purpose === 'train')) {
      assert.equal(typeof r.metrics['reward/mean'], 'number');
      assert.equal(typeof r.metrics['reward/criterion/letters/mean'], 'number');
      assert.equal(typeof r.metrics['time/step_s'], 'number');
    }
    assert.equal(
      typeof records[0]!.metrics['eval/reward/mean'],
      'number',
      'the base policy is evaluated first',
    );
    assert.equal(typeof records[4]!.metrics['eval/reward/mean'], 'number');

    // Continue-as-new every 2 steps: executions 1-2, 3-4, 5.
    const description = await run.handle.describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.notEqual(description.runId, run.handle.firstExecutionRunId, 'the run continued as new');
    const sa = description.typedSearchAttributes;
    assert.equal(sa.get(TRAIN_STEP), 5);
    assert.equal(sa.get(TRAIN_RUN_ID), run.trainRunId);
    assert.equal(sa.get(MODEL_NAME), 'tiny-llama');

    const histories = await runHistories({
      client: env.client,
      trainRunId: run.trainRunId,
      firstRunId: run.handle.firstExecutionRunId,
    });
    const parents = histories.filter((h) => h.workflowId === run.trainRunId);
    assert.equal(parents.length, 3, 'three executions of the run workflow');
    assert.equal(histories.filter((h) => h.workflowId.includes('/step-')).length, 5);
    assert.equal(histories.filter((h) => h.workflowId.includes('/eval-')).length, 3);
    // Only references and small summaries cross the workflow boundary.
    for (const { workflowId, history } of histories) {
      const bytes = JSON.stringify(history).length;
      assert.ok(bytes < 200_000, `${workflowId}: history of ${bytes} bytes`);
    }
    if (process.env.ANCHORAGE_RECORD_HISTORIES === '1') await recordHistories(histories);
    const bundle = await workflowBundle();
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId} replays: ${r.error}`);
      replayed++;
    }
    assert.equal(replayed, histories.length);
  });

  it('pause, resume with overrides, a non-finite loss fails the step once and keeps the checkpoint, resume retries it, stop ends cleanly', async () => {
    const run = await startRun({ name: 'steer', steps: 8 });
    await signalRun.pause(env.client, run.trainRunId);
    const paused = await runProgress({
      client: env.client,
      trainRunId: run.trainRunId,
      what: 'the run to pause',
      until: (p) => p.status === 'paused',
    });
    const k = paused.completedSteps;
    assert.ok(k <= 1, `paused after the step in flight (${k})`);
    assert.equal(paused.currentStep, null);
    const keptAddress = k === 0 ? null : await store.getRef(runRefs.checkpoint(run.trainRunId, k));

    // A KL coefficient beyond float32 makes the loss NaN: the trainer refuses the step.
    await signalRun.resume(env.client, run.trainRunId, { overrides: { klCoefficient: 1e39 } });
    const failed = await runProgress({
      client: env.client,
      trainRunId: run.trainRunId,
      what: 'the step to fail',
      until: (p) => p.status === 'failed',
    });
    assert.equal(failed.failure?.step, k + 1);
    assert.equal(failed.failure?.type, 'NonFiniteError');
    assert.match(failed.failure!.message, /loss is NaN/);
    assert.match(failed.failure!.message, /nothing was committed/);
    assert.equal(failed.completedSteps, k);
    assert.equal(
      await store.getRef(runRefs.checkpoint(run.trainRunId, k + 1)),
      undefined,
      'no checkpoint for the failed step',
    );
    if (k > 0) {
      assert.equal(
        await store.getRef(runRefs.checkpoint(run.trainRunId, k)),
        keptAddress,
        'the previous checkpoint is intact',
      );
      await checkpointChain({ store, trainRunId: run.trainRunId, model: model.path });
    }
    // Not retried: the update activity ran once in the failed step workflow.
    const stepHistory = await env.client.workflow.getHandle(`${run.trainRunId}/step-${k + 1}`).fetchHistory();
    const updateAttempts = (stepHistory.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'updatePolicy',
    );
    assert.equal(updateAttempts.length, 1);
    const failedEvents = (stepHistory.events ?? []).filter(
      (e) =>
        e.activityTaskFailedEventAttributes !== undefined && e.activityTaskFailedEventAttributes !== null,
    );
    assert.equal(failedEvents.length, 1);
    assert.equal(
      failedEvents[0]!.activityTaskFailedEventAttributes!.failure?.applicationFailureInfo?.nonRetryable,
      true,
    );

    // Fixed and retried: the same step id runs again from the same checkpoint; its rollouts are reused.
    await signalRun.resume(env.client, run.trainRunId, { overrides: { klCoefficient: 0 } });
    await runProgress({
      client: env.client,
      trainRunId: run.trainRunId,
      what: 'the retried step to commit',
      until: (p) => p.completedSteps >= k + 1,
    });
    const rollouts = await store.getJson(
      (await store.getRef(runRefs.rollouts({ trainRunId: run.trainRunId, step: k + 1, purpose: 'train' })))!,
      RolloutBatch,
    );
    assert.equal(rollouts.checkpoint, keptAddress, 'the retried step sampled from the kept checkpoint');
    // The refusal is on record, and the step's metrics count it.
    const refusals = await countRefusals({
      store,
      trainRunId: run.trainRunId,
      step: k + 1,
      purpose: 'train',
    });
    assert.deepEqual(refusals, { update: 1, reward: 0 });
    const metrics = await store.getJson(
      (await store.getRef(runRefs.metrics({ trainRunId: run.trainRunId, step: k + 1, purpose: 'train' })))!,
      MetricsRecord,
    );
    assert.equal(metrics.metrics['refused/update'], 1);

    await signalRun.stop(env.client, run.trainRunId);
    const result = await run.handle.result();
    assert.equal(result.status, 'stopped');
    assert.ok(
      result.completedSteps >= k + 1 && result.completedSteps < 8,
      `stopped early (${result.completedSteps})`,
    );
    const chain = await checkpointChain({ store, trainRunId: run.trainRunId, model: model.path });
    assert.equal(
      chain.length,
      result.completedSteps,
      'the stopped run committed a checkpoint for every step it ran',
    );
    assert.equal(chain.at(-1)!.address, result.lastCheckpoint?.address);
  });

  it('data selection before each stage: the stage trains on the prompts in the central reward band', async (t) => {
    const run = await startRun({
      name: 'select',
      steps: 4,
      stages: [
        { name: 'first', steps: 2 },
        { name: 'second', steps: 2 },
      ],
      dataSelection: {
        enabled: true,
        samplesPerPrompt: 4,
        lowerQuantile: 0.2,
        upperQuantile: 0.8,
        when: 'each-stage',
      },
    });
    const result = await run.handle.result();
    assert.equal(result.completedSteps, 4);
    for (const [firstStep, steps] of [
      [1, [1, 2]],
      [3, [3, 4]],
    ] as const) {
      const selection = await store.getJson(
        (await store.getRef(runRefs.selection(run.trainRunId, firstStep)))!,
        SelectionRecord,
      );
      assert.equal(selection.scored, 6, 'every prompt of the stage was scored');
      t.diagnostic(
        `stage at step ${firstStep}: kept ${selection.kept.join(', ')} in [${selection.lower}, ${selection.upper}]${selection.fallback === undefined ? '' : ` (${selection.fallback})`}`,
      );
      const allowed = new Set(
        selection.fallback === undefined ? selection.kept : [0, 1, 2, 3, 4, 5].map((i) => `tiny-${i}`),
      );
      assert.ok(selection.fallback !== undefined || selection.kept.length >= 2);
      for (const step of steps) {
        const { groups } = await readRolloutBatch({
          store,
          address: (await store.getRef(
            runRefs.rollouts({ trainRunId: run.trainRunId, step, purpose: 'train' }),
          ))!,
        });
        for (const g of groups) assert.ok(allowed.has(g.promptId), `step ${step} trains on ${g.promptId}`);
      }
    }
    const metrics = await store.listRefs(runRefs.metricsPrefix(run.trainRunId));
    assert.deepEqual(
      metrics.map((r) => r.name.split('/').at(-1)).filter((n) => n!.startsWith('select')),
      ['select-1', 'select-3'],
    );
  });

  it('two runs at once on the same workers do not interfere: equal configurations give equal adapters', async () => {
    const [a, b, c] = await Promise.all([
      startRun({ name: 'twin-a', steps: 3 }),
      startRun({ name: 'twin-b', steps: 3 }),
      startRun({ name: 'other', steps: 3, learningRate: 5e-2 }),
    ]);
    const results = await Promise.all([a, b, c].map((r) => r!.handle.result()));
    assert.deepEqual(
      results.map((r) => r.completedSteps),
      [3, 3, 3],
    );
    const chains = await Promise.all(
      [a, b, c].map((r) => checkpointChain({ store, trainRunId: r!.trainRunId, model: model.path })),
    );
    for (const chain of chains) assert.equal(chain.length, 3);
    // Sampling and training are deterministic per run, so interleaving on shared workers and a shared
    // policy must leave the twins bit-identical, step by step, and the other run different.
    assert.deepEqual(
      chains[0]!.map((x) => x.adapter),
      chains[1]!.map((x) => x.adapter),
    );
    assert.notDeepEqual(
      chains[2]!.map((x) => x.adapter),
      chains[0]!.map((x) => x.adapter),
    );
    for (const [i, chain] of chains.entries()) {
      for (const x of chain) assert.equal(x.record.trainRunId, [a, b, c][i]!.trainRunId);
    }
  });
});
