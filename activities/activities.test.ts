import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { LoraConfigSchema } from '../src/models/llama/lora.ts';
import { computeAdvantages } from '../src/rl/advantages/index.ts';
import { overlongPenalty } from '../src/rl/overlong.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { StoredCheckpoint } from '../src/train/checkpoint-store.ts';
import { RewardsRecord } from '../src/train/rewards.ts';
import { RolloutBatch, RolloutGroup, readRolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { storeRunConfig } from '../src/train/stored-config.ts';
import type { TinyRunOptions } from '../src/train/testing/tiny-run.ts';
import { prepareFile, writeTinyModel, writeTinyRun } from '../test/temporal-harness.ts';
import type { RolloutProgress } from '../src/contracts/activity-progress.ts';
import { createActivities, createActivityDeps, type TrainingActivities } from './index.ts';

/**
 * The activities one at a time in the SDK's mock activity context (heartbeats, attempts,
 * cancellation), on the tiny model and a real store; no Temporal server.
 */
/** `MockActivityEnvironment.run` with the activity's result type. */
function call<I, O>(env: MockActivityEnvironment, fn: (input: I) => Promise<O>, input: I): Promise<O> {
  return env.run(fn, input) as Promise<O>;
}

/** A judged shard (without an allowance a shard never answers budget-spent). */
function judged<T extends object>(out: T): Exclude<T, { budgetSpent: true }> {
  assert.ok(!('budgetSpent' in out), 'the shard was judged');
  return out as Exclude<T, { budgetSpent: true }>;
}

describe('training activities', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let store: LocalFolderStore;
  let acts: TrainingActivities;
  let deps: ReturnType<typeof createActivityDeps>;
  let configAddress: string;
  const trainRunId = 'unit-run';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-activities-'));
    model = await writeTinyModel({ seed: 5 });
    const storeDir = join(dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    const file = await writeTinyRun({
      dir,
      queuePrefix: 'unit',
      modelPath: model.path,
      storeDir,
      steps: 2,
      prompts: 6,
      promptsPerStep: 6,
      maxNewTokens: 24,
    });
    const { text } = await prepareFile(file);
    configAddress = await storeRunConfig({ store, trainRunId, file, text });
    // One prompt group (G = 4) per engine call, so the rollouts heartbeat group by group.
    deps = createActivityDeps({ store, engineThreads: 1, rolloutBatch: 4, heartbeatEveryMs: 10 });
    acts = createActivities(deps);
  });
  after(async () => {
    await deps?.policies.close();
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const ref = (step: number) => ({ trainRunId, configAddress, step, purpose: 'train' as const });

  /** A tiny run of its own, stored in the shared store: the key of its first training step. */
  const storedRun = async (
    name: string,
    options: Omit<TinyRunOptions, 'dir' | 'queuePrefix' | 'modelPath' | 'storeDir'>,
  ) => {
    const runId = `unit-run-${name}`;
    const file = await writeTinyRun({
      dir: join(dir, name),
      queuePrefix: `unit-${name}`,
      modelPath: model.path,
      storeDir: join(dir, 'store'),
      ...options,
    });
    const { text } = await prepareFile(file);
    const address = await storeRunConfig({ store, trainRunId: runId, file, text });
    return { trainRunId: runId, configAddress: address, step: 1, purpose: 'train' as const };
  };

  it('rollouts: a cancelled attempt leaves its finished groups committed, the retry reads them back and gets the same batch', async () => {
    // The reference: step 2's rollouts in one go, under another run id so nothing is shared.
    const other = await storeRunConfig({
      store,
      trainRunId: 'unit-reference',
      file: join(dir, 'run.yaml'),
      text: (await prepareFile(join(dir, 'run.yaml'))).text,
    });
    const whole = await call(new MockActivityEnvironment(), acts.generateRollouts, {
      trainRunId: 'unit-reference',
      configAddress: other,
      step: 2,
      purpose: 'train' as const,
      checkpoint: null,
    });
    const reference = await store.getJson(whole.rollouts, RolloutBatch);

    const first = new MockActivityEnvironment({ attempt: 1 });
    let last: RolloutProgress | undefined;
    first.on('heartbeat', (d: RolloutProgress | undefined) => {
      if (d === undefined) return;
      last = d;
      // Cancel (as a worker shutdown would) once two groups are in the store.
      if (Object.keys(d.groups).length === 2) first.cancel('WORKER_SHUTDOWN');
    });
    await assert.rejects(
      call(first, acts.generateRollouts, { ...ref(2), checkpoint: null }),
      (err: unknown) => {
        return (
          err instanceof CancelledFailure || (err as Error).name === 'AbortError' || err instanceof Error
        );
      },
    );
    assert.ok(
      last !== undefined && Object.keys(last.groups).length >= 2 && Object.keys(last.groups).length < 6,
    );
    assert.equal(
      await store.getRef(runRefs.rollouts(ref(2))),
      undefined,
      'nothing committed by the cancelled attempt',
    );

    // Each finished group has its own ref: groups written after the last heartbeat count too.
    const committedGroups = await store.listRefs(runRefs.rolloutGroups(ref(2)));
    assert.ok(committedGroups.length >= Object.keys(last!.groups).length);
    assert.ok(committedGroups.length < 6, 'the cancelled attempt did not finish');

    // The retry finds them by their refs, whatever its heartbeat details say.
    const second = new MockActivityEnvironment({ attempt: 2 });
    const out = await call(second, acts.generateRollouts, { ...ref(2), checkpoint: null });
    assert.equal(out.reused, false);
    assert.equal(out.stats.resumedGroups, committedGroups.length);
    const batch = await store.getJson(out.rollouts, RolloutBatch);
    assert.deepEqual(
      batch.groups,
      reference.groups,
      'resumed groups + sampled groups == one uninterrupted attempt',
    );
    assert.equal(batch.stats.newTokens, reference.stats.newTokens, 'stats cover the resumed groups too');

    // A third attempt finds the committed batch and samples nothing.
    const third = await call(new MockActivityEnvironment({ attempt: 3 }), acts.generateRollouts, {
      ...ref(2),
      checkpoint: null,
    });
    assert.deepEqual([third.rollouts, third.reused], [out.rollouts, true]);
  });

  it('judge, rewards and update: each commits once; a repeated call returns the commit without redoing it', async () => {
    const env = () => new MockActivityEnvironment();
    const rollouts = await call(env(), acts.generateRollouts, { ...ref(1), checkpoint: null });
    const shards = await Promise.all(
      [0, 1].map((shard) =>
        call(env(), acts.judgeRollouts, { ...ref(1), rollouts: rollouts.rollouts, shard, shards: 2 }).then(
          judged,
        ),
      ),
    );
    assert.equal(
      shards.reduce((n, s) => n + s.stats.responses, 0),
      24,
    );
    const again = judged(
      await call(env(), acts.judgeRollouts, {
        ...ref(1),
        rollouts: rollouts.rollouts,
        shard: 1,
        shards: 2,
      }),
    );
    assert.deepEqual([again.judgement, again.reused], [shards[1]!.judgement, true]);

    const rewards = await call(env(), acts.computeRewards, {
      ...ref(1),
      rollouts: rollouts.rollouts,
      judgements: shards.map((s) => s.judgement),
    });
    assert.equal(rewards.summary.responses, 24);
    assert.ok(rewards.summary.trainable > 0, 'the tiny run has a learning signal');

    const input = {
      trainRunId,
      configAddress,
      step: 1,
      parent: null,
      rollouts: rollouts.rollouts,
      rewards: rewards.rewards,
      overrides: {},
    };
    const update = await call(env(), acts.updatePolicy, input);
    assert.equal(update.created, true);
    assert.equal(update.summary.applied, true);
    const repeat = await call(new MockActivityEnvironment({ attempt: 2 }), acts.updatePolicy, input);
    assert.deepEqual([repeat.checkpoint, repeat.created], [update.checkpoint, false]);
    assert.deepEqual(repeat.summary, update.summary, 'the committed update is reported, not a new one');

    // A step trained from another parent than the committed one is refused, not silently merged.
    await assert.rejects(
      call(env(), acts.updatePolicy, { ...input, parent: update.checkpoint }),
      (err: unknown) =>
        err instanceof ApplicationFailure && err.nonRetryable && /was trained from/.test(err.message),
    );

    const commit = await call(env(), acts.commitCheckpoint, {
      trainRunId,
      step: 1,
      checkpoint: update.checkpoint,
      parent: null,
      milestone: true,
      meta: { note: 'unit' },
    });
    assert.equal(commit.latest, update.checkpoint);
    // Retrying the commit is a no-op; the latest pointer stays.
    await call(env(), acts.commitCheckpoint, {
      trainRunId,
      step: 1,
      checkpoint: update.checkpoint,
      parent: null,
      milestone: true,
      meta: {},
    });
    assert.equal(await store.getRef(runRefs.latest(trainRunId)), update.checkpoint);
  });

  it('rl.miniBatches: one optimizer step per mini-batch, in one committed update', async () => {
    const key = await storedRun('mini', {
      steps: 2,
      prompts: 6,
      promptsPerStep: 6,
      maxNewTokens: 24,
      miniBatches: 3,
    });
    const env = () => new MockActivityEnvironment();
    const rollouts = await call(env(), acts.generateRollouts, { ...key, checkpoint: null });
    const shard = await call(env(), acts.judgeRollouts, {
      ...key,
      rollouts: rollouts.rollouts,
      shard: 0,
      shards: 1,
    });
    const rewards = await call(env(), acts.computeRewards, {
      ...key,
      rollouts: rollouts.rollouts,
      judgements: [judged(shard).judgement],
    });
    assert.ok(rewards.summary.trainable >= 3, `${rewards.summary.trainable} trainable responses`);
    const update = await call(env(), acts.updatePolicy, {
      ...key,
      parent: null,
      rollouts: rollouts.rollouts,
      rewards: rewards.rewards,
      overrides: {},
    });
    assert.equal(update.summary.applied, true);
    assert.equal(update.summary.sequences, rewards.summary.trainable);
    const checkpoint = await store.getJson(update.checkpoint, StoredCheckpoint);
    assert.equal(checkpoint.optimizerSteps, 3);
  });

  it('update: the hash chain over the weights; adapters in memory that are not the parent’s are refused and reloaded', async () => {
    const key = await storedRun('chain', { steps: 2, prompts: 4, promptsPerStep: 4, maxNewTokens: 16 });
    const env = () => new MockActivityEnvironment();
    const step = async (n: number, parent: string | null) => {
      const k = { ...key, step: n };
      const rollouts = await call(env(), acts.generateRollouts, { ...k, checkpoint: parent });
      const shard = await call(env(), acts.judgeRollouts, {
        ...k,
        rollouts: rollouts.rollouts,
        shard: 0,
        shards: 1,
      });
      const rewards = await call(env(), acts.computeRewards, {
        ...k,
        rollouts: rollouts.rollouts,
        judgements: [judged(shard).judgement],
      });
      return { ...k, parent, rollouts: rollouts.rollouts, rewards: rewards.rewards, overrides: {} };
    };
    const first = await call(env(), acts.updatePolicy, await step(1, null));
    const one = await store.getJson(first.checkpoint, StoredCheckpoint);
    assert.ok(one.trainedFrom !== undefined && one.trainedFrom !== one.files['adapter.safetensors']);
    const input = await step(2, first.checkpoint);
    // The worker's policy still holds checkpoint 1, but its weights drift in place (as an update that
    // was applied and never committed would leave them) without the pool being told.
    await deps.policies.withPolicy(
      {
        model: model.path,
        lora: LoraConfigSchema.parse({ rank: 4, alpha: 8 }),
        loraSeed: 3,
        checkpoint: first.checkpoint,
        store,
      },
      async ({ policy }) => {
        const [, data] = [...policy.lora!.tensors][0]!;
        data[0] = data[0]! + 1;
        policy.trainableChanged();
      },
    );
    await assert.rejects(
      call(env(), acts.updatePolicy, input),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.type === 'AdapterMismatchError' &&
        !err.nonRetryable &&
        err.message.includes(`are not those of checkpoint ${first.checkpoint}`),
    );
    assert.equal(await store.getRef(runRefs.checkpoint(key.trainRunId, 2)), undefined, 'nothing committed');
    // The retry reloads checkpoint 1 and trains from exactly its adapters.
    const second = await call(new MockActivityEnvironment({ attempt: 2 }), acts.updatePolicy, input);
    const two = await store.getJson(second.checkpoint, StoredCheckpoint);
    assert.equal(two.trainedFrom, one.files['adapter.safetensors']);
    assert.equal(two.optimizerSteps, one.optimizerSteps + 1);
  });

  it('rl.greedyMember: the first response of each group is the greedy answer, the rest are sampled', async () => {
    const key = await storedRun('greedy', {
      steps: 1,
      prompts: 6,
      promptsPerStep: 3,
      maxNewTokens: 16,
      greedyMember: true,
    });
    const out = await call(new MockActivityEnvironment(), acts.generateRollouts, {
      ...key,
      checkpoint: null,
    });
    const batch = await store.getJson(out.rollouts, RolloutBatch);
    assert.equal(batch.groups.length, 3);
    const groups = await Promise.all(batch.groups.map((a) => store.getJson(a, RolloutGroup)));
    const greedy = await deps.policies.withPolicy(
      {
        model: model.path,
        lora: LoraConfigSchema.parse({ rank: 4, alpha: 8 }),
        loraSeed: 3,
        checkpoint: null,
        store,
      },
      ({ policy }) =>
        policy.generate({
          prompts: groups.map((g) => ({ ids: g.promptIds })),
          sampling: { temperature: 0, maxNewTokens: 16 },
        }),
    );
    for (const [i, group] of groups.entries()) {
      assert.deepEqual(
        group.samples.map((s) => s.greedy === true),
        [true, false, false, false],
        `group ${i}: only the first sample is greedy`,
      );
      assert.deepEqual(
        group.samples[0]!.tokenIds,
        greedy.results[i]!.tokenIds,
        `group ${i}: the greedy answer`,
      );
    }
    // The sampled members differ from the greedy answer somewhere (temperature 1 on a random model).
    const sampled = groups.flatMap((g) => g.samples.slice(1).map((s) => s.tokenIds.join(',')));
    const greedyAnswers = new Set(groups.map((g) => g.samples[0]!.tokenIds.join(',')));
    assert.ok(
      sampled.some((s) => !greedyAnswers.has(s)),
      'sampled members are sampled',
    );
  });

  it('overlong handling: long answers penalised before advantages, truncated ones left out of the loss', async (t) => {
    const [maxNewTokens, bufferTokens, factor] = [96, 64, 0.5];
    const key = await storedRun('overlong', {
      steps: 1,
      prompts: 6,
      promptsPerStep: 6,
      maxNewTokens,
      // At temperature 5 the tiny model's distributions are near uniform, so some answers end
      // with the stop token before the limit (at temperature 1 it almost never samples it).
      rl: {
        overlongBufferTokens: bufferTokens,
        overlongPenaltyFactor: factor,
        maskTruncated: true,
        temperature: 5,
      },
    });
    const env = () => new MockActivityEnvironment();
    const rollouts = await call(env(), acts.generateRollouts, { ...key, checkpoint: null });
    const shard = await call(env(), acts.judgeRollouts, {
      ...key,
      rollouts: rollouts.rollouts,
      shard: 0,
      shards: 1,
    });
    const out = await call(env(), acts.computeRewards, {
      ...key,
      rollouts: rollouts.rollouts,
      judgements: [judged(shard).judgement],
    });
    const { groups } = await readRolloutBatch({ store, address: rollouts.rollouts });
    const record = await store.getJson(out.rewards, RewardsRecord);
    const sampleOf = (s: { group: number; sample: number }) => groups[s.group]!.samples[s.sample]!;
    for (const s of record.samples) {
      const length = sampleOf(s).tokenIds.length;
      assert.equal(s.lengthPenalty, overlongPenalty({ length, maxNewTokens, bufferTokens, factor }));
    }
    const truncated = record.samples.filter((s) => sampleOf(s).finishReason === 'length');
    const finished = record.samples.filter((s) => sampleOf(s).finishReason !== 'length');
    t.diagnostic(`${truncated.length} truncated, ${finished.length} finished responses`);
    assert.ok(truncated.length > 0 && finished.length > 0, 'both kinds of answer in the batch');
    assert.ok(record.samples.some((s) => s.lengthPenalty! < 0 && s.lengthPenalty! > -factor));
    // Advantages come from reward + penalty.
    const direct = computeAdvantages({
      estimator: record.estimator,
      rewards: record.samples.map((s) => (s.reward === null ? null : s.reward + s.lengthPenalty!)),
      groupIds: record.samples.map((s) => s.group),
      dropZeroVariance: true,
    });
    assert.deepEqual(
      record.samples.map((s) => s.advantage),
      direct.advantages,
    );

    const update = await call(env(), acts.updatePolicy, {
      ...key,
      parent: null,
      rollouts: rollouts.rollouts,
      rewards: out.rewards,
      overrides: {},
    });
    const carrying = record.samples.filter((s) => s.advantage !== null);
    const masked = carrying.filter((s) => sampleOf(s).finishReason === 'length').length;
    assert.ok(masked > 0, 'some truncated answers carried an advantage');
    assert.equal(update.summary.sequences, carrying.length - masked);
    assert.ok(update.summary.applied && update.summary.sequences > 0, 'the finished answers were trained on');
    assert.equal(update.summary.metrics['overlong/masked'], masked);
    const penalties = record.samples.flatMap((s) => (s.reward === null ? [] : [s.lengthPenalty!]));
    assert.equal(update.summary.metrics['overlong/penalized'], penalties.filter((p) => p !== 0).length);
    assert.ok(
      Math.abs(
        update.summary.metrics['overlong/penalty_mean']! -
          penalties.reduce((a, b) => a + b, 0) / penalties.length,
      ) < 1e-12,
    );
  });

  it('rl.loss gspo: the update trains with the sequence ratio and its own clip range', async (t) => {
    const clipFraction = async (name: string, rl: Record<string, unknown>) => {
      const key = await storedRun(name, {
        steps: 1,
        prompts: 6,
        promptsPerStep: 6,
        maxNewTokens: 12,
        miniBatches: 2,
        rl,
      });
      const env = () => new MockActivityEnvironment();
      const rollouts = await call(env(), acts.generateRollouts, { ...key, checkpoint: null });
      const shard = await call(env(), acts.judgeRollouts, {
        ...key,
        rollouts: rollouts.rollouts,
        shard: 0,
        shards: 1,
      });
      const rewards = await call(env(), acts.computeRewards, {
        ...key,
        rollouts: rollouts.rollouts,
        judgements: [judged(shard).judgement],
      });
      const update = await call(env(), acts.updatePolicy, {
        ...key,
        parent: null,
        rollouts: rollouts.rollouts,
        rewards: rewards.rewards,
        overrides: {},
      });
      assert.ok(update.summary.applied, `${name}: the update was applied`);
      return update.summary.metrics['policy/clip_fraction']!;
    };
    // The second mini-batch meets a policy the first one moved: GSPO's 3e-4/4e-4 range clips
    // whole sequences there, a range as wide as PPO's clips nothing.
    const narrow = await clipFraction('gspo', { loss: 'gspo', lossAggregation: 'sequence-mean' });
    const wide = await clipFraction('gspo-wide', {
      loss: 'gspo',
      lossAggregation: 'sequence-mean',
      gspoClipLow: 0.9,
      gspoClipHigh: 10,
    });
    t.diagnostic(`clip fraction: ${narrow} at 3e-4/4e-4, ${wide} at 0.9/10`);
    assert.ok(narrow > 0, `narrow range clip fraction ${narrow}`);
    assert.equal(wide, 0);
  });

  it('bad input fails without retry, naming what was expected', async () => {
    const rollouts = await call(new MockActivityEnvironment(), acts.generateRollouts, {
      ...ref(1),
      checkpoint: null,
    });
    const bogus = 'sha256:0000000000000000000000000000000000000000000000000000000000000000';
    await assert.rejects(
      call(new MockActivityEnvironment(), acts.generateRollouts, {
        ...ref(1),
        configAddress: bogus,
        step: 3,
        checkpoint: null,
      }),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        err.type === 'ValidationError' &&
        /share one store/.test(err.message),
    );
    await assert.rejects(
      call(new MockActivityEnvironment(), acts.updatePolicy, {
        trainRunId,
        configAddress,
        step: 2,
        parent: null,
        rollouts: rollouts.rollouts,
        rewards: bogus,
        overrides: { clipLow: 5 },
      }),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        /field clipLow: RL override: Too big/.test(err.message),
    );
  });
});
