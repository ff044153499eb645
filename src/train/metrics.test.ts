import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shardGroups } from './judgements.ts';
import { suiteNames } from '../eval/suites.ts';
import { JUDGE_DISAGREEMENT_METRICS, stepMetrics, suiteMetrics } from './metrics.ts';
import { runRefs } from './run-refs.ts';

const rollouts = {
  groups: 2,
  responses: 8,
  promptTokens: 80,
  newTokens: 40,
  truncated: 2,
  resumedGroups: 0,
  ms: 1500,
};
const judge = (ms: number) => ({
  responses: 4,
  verifierVerdicts: 8,
  judgeVerdicts: 2,
  unscorableVerdicts: 1,
  judgeCacheHits: 1,
  judgeCacheMisses: 1,
  judgeRequests: 1,
  ms,
});
const rewards = {
  responses: 8,
  scored: 6,
  mean: 0.5,
  std: 0.1,
  min: 0.2,
  max: 0.9,
  vetoed: 1,
  groups: 2,
  groupsDropped: 0,
  groupsZeroVariance: 1,
  trainable: 6,
  rubricMeans: { instance: 0.5, 'style/human-tone': 0.75 },
  criterionMeans: { 'detectable_format.title': 0.25 },
  ms: 20,
};

test('step metrics: slash-namespaced keys, missing values left out, evaluations under eval/', () => {
  const m = stepMetrics({
    purpose: 'train',
    rollouts,
    judge: [judge(100), judge(300)],
    rewards,
    update: {
      applied: true,
      learningRate: 1e-4,
      metrics: { 'loss/total': -0.01, 'policy/clip_fraction': 0.1, 'kl/old': 0 },
      sequences: 6,
      tokens: 30,
      ms: 2000,
    },
    wallMs: 4000,
  });
  assert.equal(m['reward/mean'], 0.5);
  assert.equal(m['advantage/zero_variance_fraction'], 0.5, 'one of the two groups without reward variance');
  assert.equal(m['reward/rubric/style/human-tone/mean'], 0.75);
  assert.equal(m['reward/criterion/detectable_format.title/mean'], 0.25);
  assert.equal(m['reward/scored_fraction'], 0.75);
  assert.equal(m['policy/clip_fraction'], 0.1);
  assert.equal(m['judge/judge_verdicts'], 4);
  assert.equal(m['time/judge_s'], 0.3, 'shards run in parallel: the slowest counts');
  assert.equal(m['time/step_s'], 4);
  assert.equal(m['rollout/mean_length'], 5);
  assert.ok(!('kl/ref' in m), 'no reference log-probs: no KL figure, not a 0');

  const none = stepMetrics({
    purpose: 'eval',
    rollouts,
    judge: [],
    rewards: { ...rewards, mean: null, std: null },
  });
  assert.ok(!('eval/reward/mean' in none));
  assert.equal(none['eval/rollout/responses'], 8);
  assert.ok(Object.keys(none).every((k) => k.startsWith('eval/')));
});

test("evaluation suites' summaries go under eval/<suite>/, missing or non-finite numbers left out", () => {
  const m = stepMetrics({
    purpose: 'eval',
    rollouts,
    judge: [],
    rewards,
    suites: [{ suite: 'ifeval', summary: { promptLoose: 0.25, truncated: 0.5, broken: Number.NaN } }],
  });
  assert.equal(m['eval/ifeval/promptLoose'], 0.25);
  assert.equal(m['eval/ifeval/truncated'], 0.5);
  assert.ok(!('eval/ifeval/broken' in m), 'not a number: left out, not 0');
  assert.equal(m['eval/reward/mean'], 0.5);
  assert.throws(
    () =>
      stepMetrics({ purpose: 'train', rollouts, judge: [], rewards, suites: [{ suite: 'x', summary: {} }] }),
    /suite metrics belong to evaluations/,
  );
  assert.throws(
    () => suiteMetrics([{ suite: 'reward', summary: { mean: 1 } }], { 'eval/reward/mean': 0.5 }),
    /metric eval\/reward\/mean is taken/,
  );
  // No registered suite's metrics can collide with an evaluation's own keys (areas under eval/).
  const plain = stepMetrics({ purpose: 'eval', rollouts, judge: [judge(1)], rewards, wallMs: 1 });
  const own = new Set(Object.keys(plain).map((k) => k.split('/')[1]));
  for (const name of suiteNames()) assert.ok(!own.has(name), `suite '${name}' shadows eval/${name}/`);
});

test('judge shards deal groups round-robin; refs name every artifact of a run', () => {
  assert.deepEqual(shardGroups({ groups: 7, shard: 1, shards: 3 }), [1, 4]);
  const all = [0, 1, 2].flatMap((shard) => shardGroups({ groups: 7, shard, shards: 3 })).sort();
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6]);
  assert.throws(() => shardGroups({ groups: 7, shard: 3, shards: 3 }), /0\.\.2/);
  assert.equal(
    runRefs.rollouts({ trainRunId: 'r-1', step: 3, purpose: 'train' }),
    'runs/r-1/steps/step-3/rollouts',
  );
  assert.equal(
    runRefs.judgement({ trainRunId: 'r-1', step: 3, purpose: 'eval', shard: 0, shards: 2 }),
    'runs/r-1/evals/step-3/judgements/shard-0-of-2',
  );
  assert.equal(runRefs.checkpoint('r-1', 3), 'runs/r-1/checkpoints/step-3');
  assert.equal(
    runRefs.evalSuite({ trainRunId: 'r-1', step: 3, suite: 'ifeval' }),
    'runs/r-1/evals/step-3/suites/ifeval',
  );
  assert.equal(runRefs.metrics({ trainRunId: 'r-1', step: 3, purpose: 'eval' }), 'runs/r-1/metrics/eval-3');
  assert.throws(() => runRefs.latest('../x'), /training run id/);
});

test('step metrics with dynamic sampling: dynamic_sampling/*, every round in rollout/*, the trained batch in advantage/*', () => {
  const plain = stepMetrics({ purpose: 'train', rollouts, judge: [judge(100)], rewards });
  assert.ok(!Object.keys(plain).some((k) => k.startsWith('dynamic_sampling/')), 'off: no keys');
  const m = stepMetrics({
    purpose: 'train',
    rollouts,
    judge: [judge(100), judge(300)],
    rewards,
    dynamicSampling: {
      outcome: {
        rounds: 2,
        groupsDrawn: 6,
        groupsWithVariance: 3,
        groupsKept: 2,
        wanted: 2,
        zeroVarianceBefore: 0.5,
      },
      refills: [rollouts, { ...rollouts, newTokens: 20 }],
      trained: { ...rewards, mean: 0.4, groups: 2, groupsDropped: 0, trainable: 8 },
    },
  });
  assert.deepEqual(Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('dynamic_sampling/'))), {
    'dynamic_sampling/rounds': 2,
    'dynamic_sampling/groups_drawn': 6,
    'dynamic_sampling/groups_with_variance': 3,
    'dynamic_sampling/groups_kept': 2,
    'dynamic_sampling/groups_short': 0,
    'dynamic_sampling/zero_variance_before': 0.5,
  });
  assert.equal(m['rollout/responses'], 24, 'the planned batch and two refill rounds');
  assert.equal(m['rollout/new_tokens'], 100);
  assert.equal(m['advantage/trainable'], 8, 'the trained batch');
  assert.equal(m['reward/mean'], 0.5, 'the planned batch: comparable with runs without refills');
});

test('a judge sampled more than once: disagreement summed over shards into rates, by criterion too; absent otherwise', () => {
  const plain = stepMetrics({ purpose: 'train', rollouts, judge: [judge(100)], rewards });
  assert.ok(
    !Object.keys(plain).some((k) => k.includes('disagreement') || k.includes('spread')),
    'k = 1: no keys',
  );
  const shard = (tally: {
    compared: number;
    disagreeing: number;
    spreadSum: number;
    stdSum: number;
    byCriterion: Record<string, { compared: number; disagreeing: number }>;
  }) => ({ ...judge(100), disagreement: tally });
  const m = stepMetrics({
    purpose: 'train',
    rollouts,
    judge: [
      shard({
        compared: 3,
        disagreeing: 1,
        spreadSum: 0.5,
        stdSum: 0.25,
        byCriterion: { accuracy: { compared: 2, disagreeing: 1 }, brevity: { compared: 1, disagreeing: 0 } },
      }),
      judge(50),
      shard({
        compared: 1,
        disagreeing: 1,
        spreadSum: 1,
        stdSum: 0.5,
        byCriterion: { brevity: { compared: 1, disagreeing: 1 } },
      }),
    ],
    rewards,
  });
  const D = JUDGE_DISAGREEMENT_METRICS;
  assert.equal(D.criterionDisagreementRate('accuracy'), 'judge/criterion/accuracy/disagreement_rate');
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(m).filter(([k]) => /^judge\/(multi_sampled|disagreement|mean_|criterion\/)/.test(k)),
    ),
    {
      'judge/multi_sampled_criteria': 4,
      'judge/disagreement_rate': 0.5,
      'judge/mean_spread': 0.375,
      'judge/mean_sample_std': 0.1875,
      'judge/criterion/accuracy/disagreement_rate': 0.5,
      'judge/criterion/brevity/disagreement_rate': 0.5,
    },
  );
  const evaluation = stepMetrics({
    purpose: 'eval',
    rollouts,
    judge: [
      shard({
        compared: 1,
        disagreeing: 0,
        spreadSum: 0,
        stdSum: 0,
        byCriterion: { a: { compared: 1, disagreeing: 0 } },
      }),
    ],
    rewards,
  });
  assert.equal(evaluation['eval/judge/disagreement_rate'], 0);
  assert.equal(evaluation['eval/judge/criterion/a/disagreement_rate'], 0);
});
