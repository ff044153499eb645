import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { StepRef } from '../contracts/step-refs.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import { ShardJudgement } from '../train/judgements.ts';
import { runRefs } from '../train/run-refs.ts';
import { storeRunConfig } from '../train/stored-config.ts';
import { putFixedRollouts } from '../train/testing/fixed-rollouts.ts';
import { writeTinyRun } from '../train/testing/tiny-run.ts';
import { ValidationError } from '../util/errors.ts';
import { COMMIT_POINTS, commit } from './commit.ts';
import { type StepPlan, stepPlan } from './plan.ts';
import { createRunLoader } from './run-context.ts';
import { judgeShard } from './verdicts.ts';

/**
 * The tiny run's prompts carry verifier-only rubrics (at least three ASCII letters; no control
 * characters), so every group is graded here without a model: the first answer passes both
 * criteria, the second fails both.
 */
const ANSWERS = ['abc', 'x\u0001'];
const EXPECTED_SCORES = [
  { letters: 1, 'no-control': 1 },
  { letters: 0, 'no-control': 0 },
];

type Progress = { shard: number; groupsDone: number; groups: number };

describe('judgeShard on a real store', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let store: LocalFolderStore;
  let configAddress: string;
  let loadRun: ReturnType<typeof createRunLoader>;
  /** The prompts step 1 plans, in batch order. */
  let planned: StepPlan['entries'];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-step-verdicts-'));
    // The configuration names a model file, which must exist; nothing is sampled from it.
    model = await writeTinyModel({ seed: 5 });
    const storeDir = join(dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    const file = await writeTinyRun({
      dir,
      queuePrefix: 'step-verdicts',
      modelPath: model.path,
      storeDir,
      steps: 2,
      prompts: 6,
      promptsPerStep: 3,
      groupSize: ANSWERS.length,
    });
    configAddress = await storeRunConfig({
      store,
      trainRunId: 'config',
      file,
      text: await readFile(file, 'utf8'),
    });
    loadRun = createRunLoader({ store });
    planned = (await stepPlan({ run: await loadRun(configAddress), ref: refOf('plan'), store })).entries;
    assert.equal(planned.length, 3);
  });
  after(async () => {
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const refOf = (trainRunId: string): StepRef => ({ trainRunId, configAddress, step: 1, purpose: 'train' });
  const plannedIds = () => planned.map((e) => e.prompt.record.id);

  /** Stores one group per prompt id (in this order), each answered with ANSWERS, and their batch. */
  const putRollouts = (promptIds: string[]) => putFixedRollouts({ store, promptIds, answers: ANSWERS });

  const judge = (options: {
    ref: StepRef;
    rollouts: string;
    shard: number;
    shards: number;
    run?: () => ReturnType<typeof loadRun>;
    progress?: Progress[];
    checkCancelled?: () => void;
  }) =>
    judgeShard({
      store,
      ref: options.ref,
      rollouts: options.rollouts,
      shard: options.shard,
      shards: options.shards,
      run: options.run ?? (() => loadRun(configAddress)),
      verifiers: defaultVerifiers(),
      log: pino({ level: 'silent' }),
      progress: (p) => options.progress?.push({ shard: p.shard, groupsDone: p.groupsDone, groups: p.groups }),
      checkCancelled: options.checkCancelled ?? (() => undefined),
    }).then((out) => {
      // Without an allowance a shard is always judged in full.
      assert.ok(!('budgetSpent' in out));
      return out;
    });

  const committedAt = (ref: StepRef, shard: number, shards: number) =>
    store.getRef(runRefs.judgement({ ...ref, shard, shards }));

  it('each shard judges the groups shard, shard + shards, … and commits their verdicts with the counts', async () => {
    const ref = refOf('sharded');
    const rollouts = await putRollouts(plannedIds());
    for (const [shard, indices] of [
      [0, [0, 2]],
      [1, [1]],
    ] as const) {
      const progress: Progress[] = [];
      const out = await judge({ ref, rollouts, shard, shards: 2, progress });
      assert.equal(out.reused, false);
      assert.equal(await committedAt(ref, shard, 2), out.judgement);
      assert.deepEqual(
        progress,
        [0, 1, 2]
          .slice(0, indices.length + 1)
          .map((done) => ({ shard, groupsDone: done, groups: indices.length })),
        'progress before the first group and after each',
      );
      const record = await store.getJson(out.judgement, ShardJudgement);
      assert.deepEqual([record.rollouts, record.shard, record.shards], [rollouts, shard, 2]);
      assert.deepEqual(
        record.groups.map((g) => [g.index, g.promptId]),
        indices.map((i) => [i, plannedIds()[i]]),
      );
      for (const group of record.groups) {
        const rubrics = planned[group.index]!.rubrics;
        assert.equal(group.samples.length, ANSWERS.length);
        group.samples.forEach((perRubric, j) => {
          assert.deepEqual(
            perRubric.map((r) => [r.rubricId, r.weight]),
            rubrics.map((r) => [r.rubricId, r.weight]),
            'one entry per rubric of the prompt',
          );
          const scores = Object.fromEntries(
            perRubric[0]!.verdicts.map((v) => [v.criterionId, v.status === 'scored' ? v.tierScore : null]),
          );
          assert.deepEqual(scores, EXPECTED_SCORES[j], `group ${group.index}, answer ${j}`);
        });
      }
      const responses = indices.length * ANSWERS.length;
      assert.deepEqual(
        { ...out.stats, ms: 0 },
        {
          responses,
          verifierVerdicts: responses * 2,
          judgeVerdicts: 0,
          unscorableVerdicts: 0,
          judgeCacheHits: 0,
          judgeCacheMisses: 0,
          judgeRequests: 0,
          ms: 0,
        },
      );
      assert.deepEqual(record.stats, out.stats);
    }
  });

  it('a committed shard is returned as it is, without loading the run', async () => {
    const ref = refOf('committed');
    const rollouts = await putRollouts(plannedIds());
    const record: ShardJudgement = {
      format: 'anchorage.judgement/1',
      rollouts,
      shard: 0,
      shards: 1,
      groups: [],
      stats: {
        responses: 6,
        verifierVerdicts: 12,
        judgeVerdicts: 0,
        unscorableVerdicts: 0,
        judgeCacheHits: 0,
        judgeCacheMisses: 0,
        judgeRequests: 0,
        ms: 5,
      },
    };
    const committed = await commit({
      store,
      point: COMMIT_POINTS.verdicts,
      key: { ...ref, shard: 0, shards: 1 },
      record,
    });
    const progress: Progress[] = [];
    const out = await judge({
      ref,
      rollouts,
      shard: 0,
      shards: 1,
      progress,
      run: () => Promise.reject(new Error('no run expected')),
    });
    assert.deepEqual(out, {
      judgement: committed.address,
      stats: record.stats,
      reused: true,
      usage: { requests: 0, tokens: 0 },
    });
    assert.deepEqual(progress, [], 'nothing judged');
  });

  it('rollouts with another number of groups than the step plans are refused, and nothing is committed', async () => {
    const ref = refOf('short');
    const rollouts = await putRollouts(plannedIds().slice(0, 2));
    await assert.rejects(
      judge({ ref, rollouts, shard: 0, shards: 1 }),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.message === `rollouts ${rollouts} hold 2 groups; step 1 plans 3`,
    );
    assert.equal(await committedAt(ref, 0, 1), undefined);
  });

  it('a group answering another prompt than the one planned at its place is refused, and nothing is committed', async () => {
    const ref = refOf('swapped');
    const [a, b, c] = plannedIds() as [string, string, string];
    const rollouts = await putRollouts([b, a, c]);
    await assert.rejects(
      judge({ ref, rollouts, shard: 0, shards: 1 }),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.message === `rollout group 0 answers prompt '${b}', but step 1 plans '${a}'`,
    );
    assert.equal(await committedAt(ref, 0, 1), undefined);
  });

  it('a cancelled attempt stops before its next group and commits nothing; the next attempt judges the shard', async () => {
    const ref = refOf('cancelled');
    const rollouts = await putRollouts(plannedIds());
    const cancelled = new Error('cancelled');
    let checks = 0;
    const progress: Progress[] = [];
    await assert.rejects(
      judge({
        ref,
        rollouts,
        shard: 0,
        shards: 1,
        progress,
        // Cancelled once the first group is judged.
        checkCancelled: () => {
          if (++checks === 2) throw cancelled;
        },
      }),
      (err: unknown) => err === cancelled,
    );
    assert.deepEqual(
      progress.map((p) => p.groupsDone),
      [0, 1],
    );
    assert.equal(await committedAt(ref, 0, 1), undefined);
    const out = await judge({ ref, rollouts, shard: 0, shards: 1 });
    assert.equal(out.reused, false);
    const record = await store.getJson(out.judgement, ShardJudgement);
    assert.deepEqual(
      record.groups.map((g) => g.index),
      [0, 1, 2],
    );
  });
});
