import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { startTrainingRun } from '../src/client/run-client.ts';
import { describeStages } from '../src/contracts/run-details.ts';
import { TRAIN_STAGE, TRAIN_STEP } from '../src/contracts/search-attributes.ts';
import { readRolloutBatch } from '../src/train/rollouts.ts';
import { readMetrics } from '../src/train/read-metrics.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { SelectionRecord } from '../src/train/selection.ts';
import { workflowBundle } from '../workers/bundle.ts';
import {
  checkpointChain,
  type InProcessTemporal,
  prepareFile,
  runHistories,
  runResult,
  startInProcessTemporal,
  tinyTaskQueues,
  writeTinyRun,
} from './temporal-harness.ts';
import { spawnAnchorage } from '../src/cli/testing/cli-runner.ts';

/** The Web UI's "current details" of a workflow (the SDK's built-in metadata query). */
async function currentDetails(client: Client, workflowId: string): Promise<string> {
  const metadata = await client.workflow
    .getHandle(workflowId)
    .query<{ currentDetails?: string | null }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

/**
 * Stages that end on a metric threshold (`stages[].advanceWhen`) on a real server with the tiny
 * model. The thresholds are chosen so that the outcome is decided, never by learning noise or
 * timing: `reward/mean` at most 1000 always holds (from the stage's second step, `minSteps: 2`),
 * `eval/reward/mean` at least -1000 always holds after the stage's first evaluation. So stage
 * `first` (4 steps at most) ends after step 2, `second` (3 at most) after step 3, and `third`
 * (2 steps, with data selection) runs steps 4-5: 5 steps instead of 9, numbered 1..5.
 */
describe('stages that end on a metric threshold (real server, tiny model, in-process workers)', () => {
  const queues = tinyTaskQueues('stages-test');
  let fixture: InProcessTemporal | undefined;

  before(async () => {
    fixture = await startInProcessTemporal({ queues, dirPrefix: 'anchorage-stages-' });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('a training metric and an evaluation metric end stages early; steps, selection, metrics, search attribute, details and anchorage status follow; histories replay', async () => {
    const { env, model, dir, storeDir, store } = fixture!;
    const file = await writeTinyRun({
      dir: join(dir, 'run'),
      queuePrefix: 'stages-test',
      modelPath: model.path,
      storeDir,
      steps: 9,
      evaluationEvery: 1,
      // A new execution every 2 steps: the stages begun must be carried over.
      continueAsNewEvery: 2,
      stages: [
        { name: 'first', steps: 4, advanceWhen: { metric: 'reward/mean', atMost: 1000, minSteps: 2 } },
        { name: 'second', steps: 3, advanceWhen: { metric: 'eval/reward/mean', atLeast: -1000 } },
        {
          name: 'third',
          steps: 2,
          dataSelection: { enabled: true, samplesPerPrompt: 2, lowerQuantile: 0, upperQuantile: 1 },
        },
      ],
    });
    const { prepared, text } = await prepareFile(file);
    const run = await startTrainingRun({
      client: env.client,
      store,
      prepared,
      file,
      text,
      trainRunId: 'stages-run',
      timing: { heartbeatTimeoutSeconds: 10 },
    });
    const result = await runResult({ client: env.client, handle: run.handle, trainRunId: run.trainRunId });
    assert.equal(result.status, 'completed');
    assert.equal(result.completedSteps, 5, 'the stages that ended early shortened the run');

    // Steps 1..5, one checkpoint each, each trained from the one before.
    const chain = await checkpointChain({ store, trainRunId: run.trainRunId, model: model.path });
    assert.deepEqual(
      chain.map((c) => c.step),
      [1, 2, 3, 4, 5],
    );

    // The stage that ran each step: in its metrics (the workflow's word) and in its rollouts (the
    // rollout worker's plan, from the stages it was given).
    const records = await readMetrics({ store, trainRunId: run.trainRunId });
    const byStep = records.filter((r) => r.purpose === 'train').map((r) => [r.step, r.stage]);
    assert.deepEqual(byStep, [
      [1, 'first'],
      [2, 'first'],
      [3, 'second'],
      [4, 'third'],
      [5, 'third'],
    ]);
    for (const [step, stage] of byStep) {
      const { batch } = await readRolloutBatch({
        store,
        address: (await store.getRef(
          runRefs.rollouts({ trainRunId: run.trainRunId, step: step as number, purpose: 'train' }),
        ))!,
      });
      assert.equal(batch.stage, stage, `step ${step}'s rollouts were planned in stage ${stage}`);
    }
    assert.deepEqual(
      records.filter((r) => r.purpose === 'eval').map((r) => [r.step, r.stage]),
      [
        [0, 'first'],
        [1, 'first'],
        [2, 'first'],
        [3, 'second'],
        [4, 'third'],
        [5, 'third'],
      ],
    );
    // The third stage began at step 4: its data selection ran there, and its steps trained on it.
    const selection = await store.getJson(
      (await store.getRef(runRefs.selection(run.trainRunId, 4)))!,
      SelectionRecord,
    );
    assert.equal(selection.stage, 'third');
    assert.equal(selection.step, 4);
    assert.deepEqual(
      records.filter((r) => r.purpose === 'select').map((r) => r.step),
      [4],
    );

    // What the run says about its stages: its result, `anchorage status` (the same line) and the
    // Web UI details.
    assert.deepEqual(
      result.stages?.map((s) => [s.name, s.firstStep, s.steps, s.advanced?.step ?? null]),
      [
        ['first', 1, 2, 2],
        ['second', 3, 1, 3],
        ['third', 4, 2, null],
      ],
    );
    assert.equal(result.stages?.[0]?.advanced?.metric, 'reward/mean');
    assert.equal(result.stages?.[1]?.advanced?.metric, 'eval/reward/mean');
    const line = describeStages(result.stages!);
    assert.match(
      line,
      /^stages: first steps 1-2 \(ended after step 2: reward\/mean -?[\d.]+ <= 1000\) · second steps 3-3 \(ended after step 3: eval\/reward\/mean -?[\d.]+ >= -1000\) · third steps 4-5$/,
    );
    const details = await currentDetails(env.client, run.trainRunId);
    assert.ok(details.includes(line), details);
    assert.match(details, /step 5\/5/);
    const status = await spawnAnchorage(['status', run.trainRunId, '--store', storeDir], {
      TEMPORAL_ADDRESS: env.address,
    });
    assert.equal(status.code, 0);
    assert.ok(status.stdout.includes(line), status.stdout);
    const description = await run.handle.describe();
    assert.equal(description.typedSearchAttributes.get(TRAIN_STAGE), 'third');
    assert.equal(description.typedSearchAttributes.get(TRAIN_STEP), 5);

    // The decisions come from the children's recorded results, so every history replays.
    const histories = await runHistories({
      client: env.client,
      trainRunId: run.trainRunId,
      firstRunId: run.handle.firstExecutionRunId,
    });
    assert.equal(histories.filter((h) => h.workflowId === run.trainRunId).length, 3);
    const bundle = await workflowBundle();
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId} replays: ${r.error}`);
      replayed++;
    }
    assert.equal(replayed, histories.length);
  });
});
