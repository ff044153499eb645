import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { historyActivities } from '../src/client/history-activities.ts';
import { runProgress } from '../src/client/history-waits.ts';
import { raiseJudgeBudget, signalRun, startTrainingRun } from '../src/client/run-client.ts';
import { progressQuery } from '../src/contracts/messages.ts';
import type { ChatServer } from '../src/rubric/judge/test-server.ts';
import { ShardJudgement } from '../src/train/judgements.ts';
import { startTinyJudge, writeTinyJudgeConfig } from '../src/train/testing/tiny-judge.ts';
import type { StepKey } from '../src/contracts/step-refs.ts';
import type { LocalFolderStore } from '../src/store/local-store.ts';
import { StoredCheckpoint } from '../src/train/checkpoint-store.ts';
import type { MetricsRecord } from '../src/train/metrics.ts';
import { readMetrics } from '../src/train/read-metrics.ts';
import { RewardsRecord } from '../src/train/rewards.ts';
import { readRolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { workflowBundle } from '../workers/bundle.ts';
import {
  checkpointChain,
  type InProcessTemporal,
  prepareFile,
  runHistories,
  startInProcessTemporal,
  tinyTaskQueues,
  writeTinyRun,
} from './temporal-harness.ts';

const STEPS = 4;
const MAX_ROUNDS = 2;
const WANTED = 2;

/** The activities a workflow history ran (ordinary or local), in order. */
function activityNames(history: History): string[] {
  return historyActivities(history).map((a) => a.name);
}

/** The activities a workflow history completed, with their results. */
function activityResults(history: History): Array<{ name: string; result: unknown }> {
  return historyActivities(history)
    .filter((a) => a.outcome === 'completed')
    .map(({ name, result }) => ({ name, result }));
}

/** What one step of a run drew and trained on, read back from the store. */
interface StepDraw {
  /** Prompt ids of each round, round 0 (the planned batch) first. */
  rounds: string[][];
  /** Prompt ids of the trained batch, when it was assembled from the rounds. */
  trained: string[] | undefined;
  metrics: Record<string, number>;
}

/**
 * Dynamic sampling (`rl.dynamicSampling`) on a real dev server with in-process workers and the
 * tiny model. Its answers are a byte or two long, so its verifier-only rubrics often score a whole
 * group alike (zero variance): those steps draw refill rounds, train on the groups with variance,
 * and say so in their metrics. Two runs of the same configuration draw the same refills; a run
 * without the setting writes no refill records; every history replays.
 */
describe('dynamic sampling on Temporal (real server, tiny model, in-process workers)', () => {
  const queues = tinyTaskQueues('ds-test');
  let fixture: InProcessTemporal;
  let store: LocalFolderStore;
  let judge: ChatServer;

  before(async () => {
    fixture = await startInProcessTemporal({ queues, dirPrefix: 'anchorage-dynamic-sampling-' });
    store = fixture.store;
    judge = await startTinyJudge();
  });
  after(async () => {
    await fixture?.stop();
    await judge?.close();
  });

  const startRun = async (options: {
    name: string;
    rl: Record<string, unknown>;
    steps?: number;
    judge?: { runBudget?: { requests: number } };
  }) => {
    const judgeConfig =
      options.judge === undefined
        ? undefined
        : await writeTinyJudgeConfig({
            file: join(fixture.dir, options.name, 'judge.json'),
            baseUrl: judge.baseUrl,
            // A cache of the run's own: every verdict of the run is a request.
            cacheDir: join(fixture.dir, options.name, 'verdicts'),
          });
    const file = await writeTinyRun({
      dir: join(fixture.dir, options.name),
      queuePrefix: 'ds-test',
      modelPath: fixture.model.path,
      storeDir: fixture.storeDir,
      steps: options.steps ?? STEPS,
      prompts: 8,
      promptsPerStep: WANTED,
      groupSize: 4,
      maxNewTokens: 1,
      rl: options.rl,
      ...(judgeConfig === undefined ? {} : { judgeConfig, judgeSettings: options.judge }),
    });
    const { prepared, text } = await prepareFile(file);
    return startTrainingRun({
      client: fixture.env.client,
      store,
      prepared,
      file,
      text,
      trainRunId: `${options.name}-run`,
      timing: { heartbeatTimeoutSeconds: 10 },
    });
  };

  const promptIds = async (rolloutsRef: string) => {
    const address = await store.getRef(rolloutsRef);
    if (address === undefined) return undefined;
    const { groups } = await readRolloutBatch({ store, address });
    return groups.map((g) => g.promptId);
  };

  const draws = async (trainRunId: string): Promise<StepDraw[]> => {
    const records = (await readMetrics({ store, trainRunId })).filter(
      (r: MetricsRecord) => r.purpose === 'train',
    );
    const out: StepDraw[] = [];
    for (const record of records) {
      const key: StepKey = { trainRunId, step: record.step, purpose: 'train' };
      const rounds: string[][] = [];
      for (let round = 0; ; round++) {
        const ids = await promptIds(runRefs.rollouts(round === 0 ? key : { ...key, round }));
        if (ids === undefined) break;
        rounds.push(ids);
      }
      out.push({ rounds, trained: await promptIds(runRefs.trainedRollouts(key)), metrics: record.metrics });
    }
    return out;
  };

  const replays = async (run: { trainRunId: string; handle: { firstExecutionRunId: string } }) => {
    const histories = await runHistories({
      client: fixture.env.client,
      trainRunId: run.trainRunId,
      firstRunId: run.handle.firstExecutionRunId,
    });
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId} replays: ${r.error}`);
      replayed++;
    }
    assert.equal(replayed, histories.length);
    return histories;
  };

  it('steps short of groups with variance draw refill rounds, train on the groups with variance, record it; an identical run draws the same', async (t) => {
    const rl = { dynamicSampling: { maxRounds: MAX_ROUNDS } };
    const [a, b] = await Promise.all([startRun({ name: 'ds-a', rl }), startRun({ name: 'ds-b', rl })]);
    const [resultA, resultB] = await Promise.all([a.handle.result(), b.handle.result()]);
    assert.equal(resultA.status, 'completed');
    assert.equal(resultB.status, 'completed');
    await checkpointChain({ store, trainRunId: a.trainRunId, model: fixture.model.path });

    const steps = await draws(a.trainRunId);
    assert.equal(steps.length, STEPS);
    let refilled = 0;
    for (const [i, s] of steps.entries()) {
      const step = i + 1;
      const m = s.metrics;
      const rounds = m['dynamic_sampling/rounds'];
      t.diagnostic(
        `step ${step}: zero-variance share ${m['dynamic_sampling/zero_variance_before']}, ${rounds} refill rounds, ${m['dynamic_sampling/groups_kept']} of ${WANTED} kept`,
      );
      assert.equal(typeof rounds, 'number', `step ${step}: dynamic_sampling/* in the metrics`);
      assert.equal(s.rounds.length, rounds! + 1, `step ${step}: one rollout batch per round`);
      assert.equal(m['dynamic_sampling/groups_drawn'], s.rounds.flat().length);
      // No prompt twice within a step, and each refill round drew its own prompts.
      assert.equal(
        new Set(s.rounds.flat()).size,
        s.rounds.flat().length,
        `step ${step}: a prompt drawn twice`,
      );
      for (const round of s.rounds.slice(1))
        assert.equal(round.length, WANTED, 'promptsPerRound = promptsPerStep');
      const zeroBefore = m['dynamic_sampling/zero_variance_before']!;
      if (zeroBefore > 0) {
        refilled++;
        assert.ok(rounds! >= 1, `step ${step} had zero-variance groups and drew no refill round`);
      } else {
        assert.equal(rounds, 0, `step ${step}: every planned group varied, nothing to refill`);
      }
      // Either the batch is full of groups with variance, or the bound was hit and the shortfall recorded.
      const kept = m['dynamic_sampling/groups_kept']!;
      if (kept < WANTED) {
        assert.equal(rounds, MAX_ROUNDS, `step ${step}: short of groups before the bound`);
        assert.equal(m['dynamic_sampling/groups_short'], WANTED - kept);
      } else {
        assert.equal(m['dynamic_sampling/groups_short'], 0);
      }
      const key: StepKey = { trainRunId: a.trainRunId, step, purpose: 'train' };
      const checkpoint = await store.getJson(
        (await store.getRef(runRefs.checkpoint(a.trainRunId, step)))!,
        StoredCheckpoint,
      );
      if (s.trained !== undefined) {
        // The trained batch: groups with variance only, from the step's rounds, as many as kept.
        const rewards = await store.getJson(
          (await store.getRef(runRefs.trainedRewards(key)))!,
          RewardsRecord,
        );
        assert.equal(rewards.groups.length, kept);
        assert.ok(
          rewards.groups.every((g) => !g.zeroVariance && !g.dropped),
          `step ${step}: a zero-variance group trained on`,
        );
        assert.deepEqual(s.trained.length, kept);
        for (const id of s.trained) assert.ok(s.rounds.flat().includes(id));
        assert.equal(m['advantage/groups'], kept, 'advantage/* describe the trained batch');
        assert.equal(m['advantage/trainable'], rewards.summary.trainable);
        assert.equal(
          checkpoint.update.sequences,
          rewards.summary.trainable,
          'the update trained on the assembled batch',
        );
      } else {
        assert.ok(rounds === 0 || kept === 0, `step ${step}: refilled but trained on its planned batch`);
      }
    }
    assert.ok(refilled > 0, 'some step had zero-variance groups (else this test shows nothing)');

    // The same configuration under another run id draws the same refills and trains on the same groups.
    const again = await draws(b.trainRunId);
    assert.deepEqual(
      again.map((s) => [s.rounds, s.trained]),
      steps.map((s) => [s.rounds, s.trained]),
    );

    // Refill rounds run through the same activities; every history replays.
    const histories = await replays(a);
    for (const h of histories.filter((x) => x.workflowId.includes('/step-'))) {
      const s = steps[Number(h.workflowId.slice(h.workflowId.lastIndexOf('-') + 1)) - 1]!;
      const names = activityNames(h.history);
      const rounds = s.metrics['dynamic_sampling/rounds']!;
      assert.equal(names.filter((n) => n === 'generateRollouts').length, rounds + 1, h.workflowId);
      assert.equal(names.filter((n) => n === 'computeRewards').length, rounds + 1, h.workflowId);
      assert.equal(names.filter((n) => n === 'assembleBatch').length, s.trained === undefined ? 0 : 1);
    }
  });

  it('a step run again after a failure redoes none of its finished refill rounds', async () => {
    // A KL coefficient beyond float32 makes the loss NaN: the trainer refuses step 1 after its rounds.
    const run = await startRun({
      name: 'ds-retry',
      rl: { dynamicSampling: { maxRounds: MAX_ROUNDS }, klCoefficient: 1e39 },
    });
    const failed = await runProgress({
      client: fixture.env.client,
      trainRunId: run.trainRunId,
      what: 'step 1 to fail',
      until: (p) => p.status === 'failed',
    });
    assert.equal(failed.failure?.step, 1);
    assert.equal(failed.failure?.type, 'NonFiniteError');
    const stepId = `${run.trainRunId}/step-1`;
    const firstTry = activityResults(await fixture.env.client.workflow.getHandle(stepId).fetchHistory());
    const rounds = firstTry.filter((a) => a.name === 'generateRollouts').length - 1;
    assert.ok(rounds >= 1, 'step 1 drew refill rounds (as in the runs above)');
    assert.ok(firstTry.some((a) => a.name === 'assembleBatch'));

    await signalRun.resume(fixture.env.client, run.trainRunId, { overrides: { klCoefficient: 0 } });
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    // The step's second execution found every round committed: rollouts, verdicts, rewards, the batch.
    const again = activityResults(await fixture.env.client.workflow.getHandle(stepId).fetchHistory());
    const reused = (name: string) =>
      again.filter((a) => a.name === name).map((a) => (a.result as { reused: boolean }).reused);
    assert.deepEqual(reused('generateRollouts'), Array(rounds + 1).fill(true));
    assert.deepEqual(reused('computeRewards'), Array(rounds + 1).fill(true));
    assert.deepEqual(
      reused('judgeRollouts'),
      reused('judgeRollouts').map(() => true),
    );
    assert.deepEqual(reused('assembleBatch'), [true]);
    const [retried] = await draws(run.trainRunId);
    const [planned] = await draws('ds-a-run');
    assert.deepEqual(
      [retried!.rounds, retried!.trained],
      [planned!.rounds, planned!.trained],
      'the same draws as run ds-a',
    );
  });

  it('refill rounds are judged within the run-wide judge budget: spent in a refill round, the run pauses; raised, it completes', async (t) => {
    const client = fixture.env.client;
    const rl = { dynamicSampling: { maxRounds: MAX_ROUNDS } };
    // Unbounded first, to learn what judging the planned batch of step 1 takes.
    const free = await startRun({ name: 'ds-judge-free', rl, steps: 1, judge: {} });
    assert.equal((await free.handle.result()).status, 'completed');
    const key = (trainRunId: string, round?: number): StepKey => ({
      trainRunId,
      step: 1,
      purpose: 'train',
      ...(round === undefined ? {} : { round }),
    });
    const requestsOf = async (k: StepKey) => {
      const refs = await store.listRefs(runRefs.judgements(k));
      let n = 0;
      for (const { address } of refs) n += (await store.getJson(address, ShardJudgement)).stats.judgeRequests;
      return n;
    };
    const planned = await requestsOf(key(free.trainRunId));
    const refill = await requestsOf(key(free.trainRunId, 1));
    t.diagnostic(`step 1: ${planned} judge requests for the planned batch, ${refill} for refill round 1`);
    assert.ok(planned > 0 && refill > 1, 'the judged criterion costs requests in both rounds');

    // A budget that covers the planned batch and one request more runs out in refill round 1.
    const before = judge.requests.length;
    const budget = planned + 1;
    const run = await startRun({
      name: 'ds-judge-budget',
      rl,
      steps: 1,
      judge: { runBudget: { requests: budget } },
    });
    const paused = await runProgress({
      client,
      trainRunId: run.trainRunId,
      what: 'the pause for the judge budget',
      until: (p) => p.judge?.waiting === true,
    });
    assert.equal(paused.currentStep, 1);
    assert.ok(
      paused.judge!.used.requests <= budget,
      `${paused.judge!.used.requests} requests, over the budget`,
    );
    assert.equal(paused.judge!.used.requests, judge.requests.length - before, 'refill requests are counted');
    const k = key(run.trainRunId);
    assert.notEqual(await store.getRef(runRefs.rewards(k)), undefined, 'the planned batch was scored');
    assert.notEqual(
      await store.getRef(runRefs.rollouts(key(run.trainRunId, 1))),
      undefined,
      'round 1 sampled',
    );
    assert.equal(
      await store.getRef(runRefs.rewards(key(run.trainRunId, 1))),
      undefined,
      'round 1 not scored',
    );

    await raiseJudgeBudget(client, run.trainRunId, { addRequests: 10 * (planned + refill) });
    assert.equal((await run.handle.result()).status, 'completed');
    const end = await client.workflow.getHandle(run.trainRunId).query(progressQuery);
    assert.equal(end.judge!.used.requests, judge.requests.length - before, 'every request counted');
    // Paid once: the step ran again from its committed planned batch and the verdicts it had paid
    // for (cached), so the run spent what the same run without a budget spent.
    let unboundedTotal = planned;
    for (let round = 1; round <= MAX_ROUNDS; round++)
      unboundedTotal += await requestsOf(key(free.trainRunId, round));
    assert.equal(end.judge!.used.requests, unboundedTotal);
    const [after] = await draws(run.trainRunId);
    const [unbounded] = await draws(free.trainRunId);
    assert.deepEqual(
      [after!.rounds, after!.trained],
      [unbounded!.rounds, unbounded!.trained],
      'the same draws as without a budget',
    );
    await replays(run);
  });

  it('without the setting nothing changes: no refill records, no dynamic_sampling metrics, the same activities', async () => {
    const run = await startRun({ name: 'ds-off', rl: {} });
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    const steps = await draws(run.trainRunId);
    assert.equal(steps.length, STEPS);
    for (const s of steps) {
      assert.equal(s.rounds.length, 1, 'the planned batch only');
      assert.equal(s.trained, undefined);
      assert.ok(!Object.keys(s.metrics).some((k) => k.startsWith('dynamic_sampling/')));
    }
    const refs = (await store.listRefs(`runs/${run.trainRunId}/steps/`)).map((r) => r.name);
    assert.ok(!refs.some((n) => /\/refill-\d+\/|\/trained\//.test(n)), refs.join('\n'));
    const histories = await replays(run);
    for (const h of histories.filter((x) => x.workflowId.includes('/step-'))) {
      const names = activityNames(h.history);
      assert.deepEqual(
        [...new Set(names)],
        [
          'generateRollouts',
          'judgeRollouts',
          'computeRewards',
          'updatePolicy',
          'commitCheckpoint',
          'writeMetrics',
        ],
      );
    }
  });
});
