import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeCriterion, makeRubric, scored, unscorable } from '../rubric/aggregate/fixtures.ts';
import { computeAdvantages } from '../rl/advantages/index.ts';
import { aggregateReward, NonFiniteRewardError } from '../rubric/aggregate/index.ts';
import type { Reward } from '../rubric/aggregate/reward-schema.ts';
import { combineRubricRewards, computeStepRewards, type RubricReward } from './reward-math.ts';

const rubric = makeRubric({
  criteria: [
    makeCriterion({ id: 'a' }),
    makeCriterion({ id: 'b' }),
    makeCriterion({ id: 'hack', veto: 0.5, weight: 0.1 }),
  ],
});
const reward = (a: number | null, b: number | null, hack = 1): Reward =>
  aggregateReward({
    rubric,
    verdicts: [
      a === null ? unscorable('a') : scored('a', a),
      b === null ? unscorable('b') : scored('b', b),
      scored('hack', hack),
    ],
  });
const r = (rubricId: string, weight: number, value: Reward): RubricReward => ({
  rubricId,
  weight,
  reward: value,
});

test('rubric rewards combine by weight; unscorable rubrics are left out, not counted as 0', () => {
  const full = reward(1, 1); // (1 + 1 + 0.1) / 2.1 = 1
  const half = reward(1, 0);
  assert.equal(full.status, 'scored');
  const halfValue = (half as { value: number }).value;
  const combined = combineRubricRewards([r('x', 1, full), r('y', 3, half)]);
  assert.equal(combined.status, 'scored');
  assert.ok(Math.abs((combined as { value: number }).value - (1 * 1 + 3 * halfValue) / 4) < 1e-12);

  // A rubric with too few scored criteria drops out of both sums.
  const none = reward(null, null);
  assert.equal(none.status, 'unscorable');
  const withNone = combineRubricRewards([r('x', 1, half), r('y', 5, none)]);
  assert.deepEqual(withNone, { status: 'scored', value: halfValue, vetoedBy: [] });
  const allNone = combineRubricRewards([r('y', 5, none)]);
  assert.equal(allNone.status, 'unscorable');
  assert.match((allNone as { reason: string }).reason, /^y: /);
});

test('a veto in any rubric voids the whole reward', () => {
  const vetoed = reward(1, 1, 0);
  const combined = combineRubricRewards([r('good', 10, reward(1, 1)), r('defence', 0.1, vetoed)]);
  assert.deepEqual(combined, { status: 'scored', value: 0, vetoedBy: ['defence#hack'] });
});

test('step rewards: advantages within groups, unscorable masked, means per rubric and criterion', () => {
  const groups = [
    [[r('x', 1, reward(1, 1))], [r('x', 1, reward(0, 0))], [r('x', 1, reward(null, null))]],
    [[r('x', 1, reward(1, 0))], [r('x', 1, reward(1, 0))]],
  ];
  const out = computeStepRewards({ groups, estimator: 'grpo', dropZeroVariance: true });
  assert.deepEqual(
    out.samples.map((s) => s.reward === null),
    [false, false, true, false, false],
  );
  const [a, b, c, d, e] = out.samples.map((s) => s.advantage);
  assert.ok(a! > 0 && b! < 0 && Math.abs(a! + b!) < 1e-9, 'group 0: opposite advantages');
  assert.equal(c, null, 'unscorable: no advantage');
  assert.equal(d, null, 'zero-variance group dropped');
  assert.equal(e, null);
  assert.equal(out.summary.scored, 4);
  assert.equal(out.summary.trainable, 2);
  assert.equal(out.summary.groupsDropped, 1);
  assert.equal(out.summary.groupsZeroVariance, 1, 'counted whether or not the estimator drops them');
  assert.equal(out.summary.responses, 5);
  const scoredValues = out.samples.flatMap((s) => (s.reward === null ? [] : [s.reward]));
  assert.ok(Math.abs(out.summary.mean! - scoredValues.reduce((x, y) => x + y, 0) / 4) < 1e-12);
  // Criterion 'a' is scored in four responses: 1, 0, 1, 1.
  assert.equal(out.summary.criterionMeans['a'], 0.75);
  assert.ok(!('nan' in out.summary.rubricMeans));

  const evaluation = computeStepRewards({
    groups,
    estimator: 'grpo',
    dropZeroVariance: true,
    advantages: false,
  });
  assert.ok(evaluation.samples.every((s) => s.advantage === null));
  assert.equal(evaluation.groups.length, 0);
});

test('step rewards: the greedy members (rl.greedyMember) get their own mean; without them there is none', () => {
  const groups = [
    [[r('x', 1, reward(0, 0))], [r('x', 1, reward(1, 1))], [r('x', 1, reward(1, 1))]],
    [[r('x', 1, reward(1, 0))], [r('x', 1, reward(0, 0))]],
  ];
  const withGreedy = computeStepRewards({
    groups,
    estimator: 'grpo',
    dropZeroVariance: true,
    greedy: (_group, sample) => sample === 0,
  });
  const first = withGreedy.samples.filter((s) => s.sample === 0).map((s) => s.reward!);
  assert.equal(withGreedy.summary.greedyMean, (first[0]! + first[1]!) / 2);
  assert.ok(withGreedy.summary.greedyMean! < withGreedy.summary.mean!, 'the greedy answers scored apart');
  const without = computeStepRewards({ groups, estimator: 'grpo', dropZeroVariance: true });
  assert.ok(!('greedyMean' in without.summary));
});

test('step rewards: a length penalty shapes the advantages, not the recorded rewards', () => {
  // Group 0: equal rubric rewards, but sample 1 is penalised; group 1: an unscorable response.
  const groups = [
    [[r('x', 1, reward(1, 1))], [r('x', 1, reward(1, 1))]],
    [[r('x', 1, reward(1, 0))], [r('x', 1, reward(null, null))], [r('x', 1, reward(0, 0))]],
  ];
  const penalty = (group: number, sample: number) => (group === 0 && sample === 1 ? -0.5 : 0);
  const out = computeStepRewards({
    groups,
    estimator: 'grpo',
    dropZeroVariance: true,
    lengthPenalty: penalty,
  });
  const plain = computeStepRewards({ groups, estimator: 'grpo', dropZeroVariance: true });
  assert.deepEqual(
    out.samples.map((s) => s.reward),
    plain.samples.map((s) => s.reward),
    'rewards are the rubrics’',
  );
  assert.deepEqual(
    out.samples.map((s) => s.lengthPenalty),
    [0, -0.5, 0, 0, 0],
  );
  assert.ok(
    plain.samples.every((s) => !('lengthPenalty' in s)),
    'no field when the penalty is off',
  );
  // Without the penalty group 0 has zero variance and is dropped; with it the shorter answer wins.
  assert.deepEqual([plain.samples[0]!.advantage, plain.samples[1]!.advantage], [null, null]);
  const [a, b] = [out.samples[0]!.advantage!, out.samples[1]!.advantage!];
  assert.ok(a > 0 && b < 0, `advantages ${a}, ${b}`);
  assert.equal(out.summary.groupsDropped, 0);
  assert.equal(out.summary.mean, plain.summary.mean, 'the summary stays on the rubric rewards');
  // An unscorable response stays without reward or advantage.
  assert.deepEqual([out.samples[3]!.reward, out.samples[3]!.advantage], [null, null]);
  // The estimator saw reward + penalty.
  const direct = computeAdvantages({
    estimator: 'grpo',
    rewards: out.samples.map((s) => (s.reward === null ? null : s.reward + s.lengthPenalty!)),
    groupIds: out.samples.map((s) => s.group),
    dropZeroVariance: true,
  });
  assert.deepEqual(
    out.samples.map((s) => s.advantage),
    direct.advantages,
  );
});

test('step rewards: a NaN or infinite reward or penalty is refused with the group, sample and rubrics named, never passed on', () => {
  // Two rubrics whose weights are finite but sum past the float limit: the weighted mean is NaN.
  const huge = [[r('x', 1.5e308, reward(1, 1)), r('y', 1.5e308, reward(1, 0))]];
  assert.throws(
    () =>
      computeStepRewards({
        groups: [[[r('x', 1, reward(1, 1))]], huge],
        estimator: 'grpo',
        dropZeroVariance: false,
      }),
    (err: unknown) =>
      err instanceof NonFiniteRewardError &&
      err.message.startsWith(
        'the combined reward of group 1 sample 0 is NaN, a finite number was expected',
      ) &&
      err.message.includes("rubric 'x' weight 1.5e+308: 1") &&
      err.message.includes("rubric 'y' weight 1.5e+308"),
  );
  const nan = { ...(reward(1, 1) as Extract<Reward, { status: 'scored' }>), value: Number.NaN };
  assert.throws(
    () => computeStepRewards({ groups: [[[r('x', 1, nan)]]], estimator: 'grpo', dropZeroVariance: false }),
    /the combined reward of group 0 sample 0 is NaN/,
  );
  assert.throws(
    () =>
      computeStepRewards({
        groups: [[[r('x', 1, reward(1, 1))], [r('x', 1, reward(0, 0))]]],
        estimator: 'grpo',
        dropZeroVariance: false,
        lengthPenalty: (_g, s) => (s === 1 ? Number.NEGATIVE_INFINITY : 0),
      }),
    /the length penalty of group 0 sample 1 is -Infinity/,
  );
});
