import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../util/errors.ts';
import { aggregateReward } from './aggregate-reward.ts';
import { aggregateRewards } from './aggregate-rewards.ts';
import { NonFiniteRewardError } from './finite.ts';
import { makeCriterion, makeRubric, scored, unscorable } from './fixtures.ts';
import { Reward } from './reward-schema.ts';

const close = (actual: number | null | undefined, expected: number, tolerance = 1e-12) =>
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= tolerance,
    `expected ${expected}, got ${actual}`,
  );

// clarity: tiers 0/2/4, weight 2; accuracy: pass/fail, weight 1; self-praise: a penalty (met = the
// answer praises itself), weight -1; hacking: a veto that must pass, weight 1.
const rubric = makeRubric({
  criteria: [
    makeCriterion({ id: 'clarity', weight: 2, tiers: [0, 2, 4] }),
    makeCriterion({ id: 'accuracy', weight: 1 }),
    makeCriterion({ id: 'self-praise', weight: -1 }),
    makeCriterion({ id: 'hacking', weight: 1, veto: 1 }),
  ],
  aggregation: {
    interactions: [{ a: 'clarity', b: 'accuracy', coefficient: 0.2, fn: 'min' }],
    shaping: { type: 'power', gamma: 2 },
  },
});

test('the full chain, computed by hand', () => {
  const reward = aggregateReward({
    rubric,
    verdicts: [
      scored('clarity', 2, 'ok'),
      scored('accuracy', 1),
      scored('self-praise', 1),
      scored('hacking', 1),
    ],
  });
  // numerator 2 * 0.5 + 1 - 1 + 1 = 2; denominator 2 + 1 + 1 = 4 (the penalty is left out).
  // mean 0.5; + 0.2 * min(0.5, 1) = 0.6; clipped 0.6; shaped 0.6^2 = 0.36.
  assert.equal(reward.status, 'scored');
  close(reward.status === 'scored' ? reward.value : null, 0.36);
  const e = reward.explanation;
  assert.equal(e.numerator, 2);
  assert.equal(e.denominator, 4);
  assert.equal(e.weightedMean, 0.5);
  assert.deepEqual(e.interactionTerms, [
    { a: 'clarity', b: 'accuracy', fn: 'min', coefficient: 0.2, status: 'applied', g: 0.5, value: 0.1 },
  ]);
  close(e.beforeClip, 0.6);
  close(e.afterInteractions, 0.6);
  close(e.afterShaping, 0.36);
  assert.deepEqual(e.vetoesFired, []);
  assert.deepEqual(
    e.criteria.map((c) => [c.id, c.normalised, c.transformed, c.contribution, c.vetoFired]),
    [
      ['clarity', 0.5, 0.5, 0.25, false],
      ['accuracy', 1, 1, 0.25, false],
      ['self-praise', 1, 1, -0.25, false],
      ['hacking', 1, 1, 0.25, false],
    ],
  );
  assert.deepEqual(e.criteria[0], {
    id: 'clarity',
    kind: 'score',
    weight: 2,
    status: 'scored',
    tierScore: 2,
    tierLabel: 'ok',
    topScore: 4,
    normalised: 0.5,
    saturation: null,
    transformed: 0.5,
    contribution: 0.25,
    vetoThreshold: null,
    vetoFired: false,
    reason: 'scored 2',
    evaluator: 'test',
  });
  assert.deepEqual(e.coverage, { scoredPositive: 3, totalPositive: 3, minScoredFraction: 0.5 });
  assert.deepEqual(Reward.parse(reward), reward);
});

test('a fired veto sets the floor and the explanation keeps what it voided', () => {
  const reward = aggregateReward({
    rubric,
    verdicts: [scored('clarity', 4), scored('accuracy', 1), scored('self-praise', 0), scored('hacking', 0)],
  });
  assert.deepEqual([reward.status, reward.status === 'scored' && reward.value], ['scored', 0]);
  // Without the veto: (2 + 1 + 0 + 0) / 4 = 0.75, + 0.2 * 1 = 0.95, shaped 0.9025.
  close(reward.explanation.afterShaping, 0.9025);
  assert.deepEqual(reward.explanation.vetoesFired, ['hacking']);
  assert.equal(reward.explanation.criteria[3]!.vetoFired, true);
  assert.equal(reward.explanation.criteria[3]!.vetoThreshold, 1);
});

test('a fired veto scores the floor even when the response is otherwise unscorable', () => {
  const reward = aggregateReward({
    rubric: makeRubric({ criteria: rubric.criteria, aggregation: { floor: -0.5, minScoredFraction: 1 } }),
    verdicts: [
      unscorable('clarity'),
      unscorable('accuracy'),
      unscorable('self-praise'),
      scored('hacking', 0),
    ],
  });
  assert.deepEqual([reward.status, reward.status === 'scored' && reward.value], ['scored', -0.5]);
  // The veto criterion was scored (at 0, weight 1): the mean exists and is 0.
  assert.equal(reward.explanation.weightedMean, 0);
});

test('too few positive-weight criteria scored: unscorable with the reason; skipped interactions', () => {
  const reward = aggregateReward({
    rubric,
    verdicts: [unscorable('clarity'), unscorable('accuracy'), scored('self-praise', 1), scored('hacking', 1)],
  });
  assert.equal(reward.status, 'unscorable');
  assert.match(
    reward.status === 'unscorable' ? reward.reason : '',
    /^1 of 3 positive-weight criteria scored; at least 2 needed \(minScoredFraction 0.5\)$/,
  );
  const e = reward.explanation;
  assert.deepEqual(e.interactionTerms, [
    {
      a: 'clarity',
      b: 'accuracy',
      fn: 'min',
      coefficient: 0.2,
      status: 'skipped',
      reason: "'clarity' and 'accuracy' unscorable",
    },
  ]);
  assert.equal(e.denominator, 1);
  assert.equal(e.criteria[0]!.status, 'unscorable');
  assert.equal(e.criteria[0]!.contribution, null);
  assert.equal(e.criteria[0]!.reason, 'judge reply malformed');
});

test('an unscorable veto criterion does not fire and leaves the denominator', () => {
  const reward = aggregateReward({
    rubric,
    verdicts: [scored('clarity', 4), scored('accuracy', 0), scored('self-praise', 0), unscorable('hacking')],
  });
  // (2 * 1 + 0) / (2 + 1) = 2/3; + 0.2 * min(1, 0) = 2/3; shaped 4/9.
  assert.equal(reward.status, 'scored');
  close(reward.status === 'scored' ? reward.value : null, 4 / 9);
  assert.equal(reward.explanation.denominator, 3);
  assert.deepEqual(reward.explanation.vetoesFired, []);
});

test('penalties can push the mean below the floor; the clip brings it back', () => {
  const reward = aggregateReward({
    rubric: makeRubric({
      criteria: [makeCriterion({ id: 'good', weight: 1 }), makeCriterion({ id: 'bad', weight: -3 })],
      aggregation: { floor: -1 },
    }),
    verdicts: [scored('good', 1), scored('bad', 1)],
  });
  // (1 - 3) / 1 = -2, clipped to -1.
  assert.equal(reward.explanation.weightedMean, -2);
  assert.equal(reward.explanation.afterInteractions, -1);
  assert.equal(reward.status === 'scored' && reward.value, -1);
});

test('saturation: the criterion override wins over the rubric setting', () => {
  const reward = aggregateReward({
    rubric: makeRubric({
      criteria: [
        makeCriterion({ id: 'a', tiers: [0, 1, 2] }),
        makeCriterion({ id: 'b', tiers: [0, 10], saturation: 2 }),
      ],
      aggregation: { saturation: { a: 1 } },
    }),
    verdicts: [scored('a', 1), scored('b', 3)],
  });
  const [a, b] = reward.explanation.criteria;
  assert.equal(a!.saturation, 1);
  close(a!.transformed!, 0.6224593312018546);
  assert.equal(b!.saturation, 2);
  close(b!.transformed!, 0.5218073030606148);
  close(reward.status === 'scored' ? reward.value : null, (0.6224593312018546 + 0.5218073030606148) / 2);
});

test('interactions use the transformed (saturated) scores', () => {
  const reward = aggregateReward({
    rubric: makeRubric({
      criteria: [
        makeCriterion({ id: 'a', tiers: [0, 4], saturation: 2 }),
        makeCriterion({ id: 'b', tiers: [0, 10] }),
      ],
      aggregation: { interactions: [{ a: 'a', b: 'b', coefficient: 0.5, fn: 'product' }] },
    }),
    verdicts: [scored('a', 1.2), scored('b', 4)],
  });
  // t_a = saturate(0.3, a = 2) = 0.5218073030606148, t_b = 0.4; mean (t_a + 0.4) / 2;
  // + 0.5 * t_a * 0.4 (not 0.5 * 0.3 * 0.4).
  const ta = 0.5218073030606148;
  const [term] = reward.explanation.interactionTerms;
  close(term?.status === 'applied' ? term.g : null, ta * 0.4);
  close(reward.status === 'scored' ? reward.value : null, (ta + 0.4) / 2 + 0.5 * ta * 0.4);
});

test('stretch shaping and product interactions with a conflict coefficient', () => {
  const reward = aggregateReward({
    rubric: makeRubric({
      criteria: [makeCriterion({ id: 'a' }), makeCriterion({ id: 'b', tiers: [0, 1, 2, 3, 4] })],
      aggregation: {
        interactions: [{ a: 'a', b: 'b', coefficient: -0.4, fn: 'product' }],
        shaping: { type: 'stretch', threshold: 0.5, slope: 1.5 },
      },
    }),
    verdicts: [scored('a', 1), scored('b', 3)],
  });
  // mean (1 + 0.75) / 2 = 0.875; - 0.4 * 0.75 = 0.575; stretch: 1 - 1.5 * 0.425 = 0.3625.
  close(reward.explanation.beforeClip, 0.575);
  close(reward.status === 'scored' ? reward.value : null, 0.3625);
});

test('a rubric of penalties only is unscorable: the mean has no denominator', () => {
  const reward = aggregateReward({
    rubric: makeRubric({ criteria: [makeCriterion({ id: 'p', weight: -1 })] }),
    verdicts: [scored('p', 0)],
  });
  assert.equal(reward.status, 'unscorable');
  assert.match(reward.status === 'unscorable' ? reward.reason : '', /no positive-weight criterion/);
  assert.equal(reward.explanation.weightedMean, null);
  assert.equal(reward.explanation.afterShaping, null);
  assert.equal(reward.explanation.criteria[0]!.contribution, null);
  assert.deepEqual(Reward.parse(reward), reward);
});

test('missing, extra and duplicate verdicts are programming errors naming the criterion', () => {
  const all = [scored('clarity', 2), scored('accuracy', 1), scored('self-praise', 1), scored('hacking', 1)];
  const expectValidation = (verdicts: typeof all, pattern: RegExp, field?: string) =>
    assert.throws(
      () => aggregateReward({ rubric, verdicts }),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError, String(err));
        assert.match(err.message, pattern);
        if (field !== undefined) assert.equal(err.location.field, field);
        return true;
      },
    );
  expectValidation(
    all.slice(0, 3),
    /no verdict for criterion 'hacking' of rubric 'test\/rubric'/,
    'verdicts',
  );
  expectValidation(
    [...all, scored('tone', 1)],
    /verdict for criterion 'tone', which rubric .* does not have/,
    'verdicts[4].criterionId',
  );
  expectValidation(
    [...all, unscorable('accuracy')],
    /a second verdict for criterion 'accuracy'/,
    'verdicts[4].criterionId',
  );
  expectValidation(
    [scored('clarity', 5), ...all.slice(1)],
    /criterion 'clarity' of rubric 'test\/rubric': a tier score in \[0, 4\], got 5/,
    'verdicts[0].tierScore',
  );
  expectValidation([scored('clarity', Number.NaN), ...all.slice(1)], /got NaN/);
});

test('bad aggregation settings fail before scoring, naming the field', () => {
  const bad =
    (aggregation: unknown, criteria = rubric.criteria) =>
    () =>
      aggregateReward({ rubric: makeRubric({ criteria, aggregation }), verdicts: [] });
  assert.throws(bad({ shaping: { type: 'stretch', threshold: 0.5, slope: 3 } }), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.location.field, 'aggregation.shaping.slope');
    return true;
  });
  assert.throws(bad({ interactions: [{ a: 'clarity', b: 'nope', coefficient: 1 }] }), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.location.field, 'aggregation.interactions[0].b');
    assert.match(err.message, /unknown criterion 'nope'/);
    return true;
  });
  assert.throws(bad({}, [makeCriterion({ id: 'v', weight: -1, veto: 0.5 })]), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.location.field, 'criteria[0].weight');
    assert.match(err.message, /veto criterion 'v': a positive weight/);
    return true;
  });
  assert.throws(
    bad({}, [makeCriterion({ id: 'x' }), makeCriterion({ id: 'x' })]),
    /criterion id 'x' appears twice/,
  );
});

test('an overflow is reported as a non-finite step, never returned as NaN', () => {
  const huge = makeRubric({
    criteria: [makeCriterion({ id: 'a', weight: 1.7e308 }), makeCriterion({ id: 'b', weight: 1.7e308 })],
  });
  assert.throws(
    () => aggregateReward({ rubric: huge, verdicts: [scored('a', 1), scored('b', 1)] }),
    (err: unknown) => {
      assert.ok(err instanceof NonFiniteRewardError);
      assert.match(err.message, /reward chain of rubric 'test\/rubric': weighted sum is Infinity/);
      return true;
    },
  );
});

test("a judge's samples: the averaged score counts as any fractional score, and the samples are explained", () => {
  const samples = [
    { status: 'scored' as const, tierScore: 4, tierLabel: 'great', reason: 'clear' },
    { status: 'scored' as const, tierScore: 2, tierLabel: 'ok', reason: 'a bit muddled' },
    { status: 'unscorable' as const, reason: 'malformed judge reply after one repair attempt: not JSON' },
  ];
  const verdicts = [
    { ...scored('clarity', 3, 'averaged'), samples },
    scored('accuracy', 1),
    scored('self-praise', 0),
    scored('hacking', 1),
  ];
  const single = aggregateReward({ rubric, verdicts });
  const [batch] = aggregateRewards({ rubric, verdictsPerResponse: [verdicts] });
  for (const reward of [single, batch!]) {
    const clarity = reward.explanation.criteria[0]!;
    assert.equal(clarity.tierLabel, 'averaged');
    assert.equal(clarity.normalised, 0.75);
    assert.deepEqual(clarity.samples, samples);
    assert.equal('samples' in reward.explanation.criteria[1]!, false, 'a verdict without samples adds none');
    assert.deepEqual(Reward.parse(reward), reward);
  }
});
