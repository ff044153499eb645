import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ResolvedRubric } from '../resolve.ts';
import type { Verdict } from '../verdict.ts';
import { aggregateReward } from './aggregate-reward.ts';
import { NonFiniteRewardError } from './finite.ts';
import { caseArbitrary, makeRubric, scored, unscorable } from './fixtures.ts';
import { type Reward, Reward as RewardSchema } from './reward-schema.ts';

const RUNS = { numRuns: 400 };

/** The index among `rubric.criteria` chosen by `pick`, among those `eligible` says; undefined for none. */
function pickIndex(
  rubric: ResolvedRubric,
  pick: number,
  eligible: (k: number) => boolean,
): number | undefined {
  const candidates = rubric.criteria.map((_, k) => k).filter(eligible);
  return candidates.length === 0 ? undefined : candidates[pick % candidates.length];
}

function withVerdict(verdicts: readonly Verdict[], k: number, verdict: Verdict): Verdict[] {
  return verdicts.map((v, i) => (i === k ? verdict : v));
}

/** Raises the tier score of scored verdict k by the fraction `u` of the way to the top tier. */
function raised(rubric: ResolvedRubric, verdicts: readonly Verdict[], k: number, u: number): Verdict[] {
  const v = verdicts[k]!;
  if (v.status !== 'scored') throw new Error('raised() needs a scored verdict');
  const top = rubric.criteria[k]!.topScore;
  return withVerdict(verdicts, k, { ...v, tierScore: Math.min(top, v.tierScore + u * (top - v.tierScore)) });
}

function rewardValue(reward: Reward): number | undefined {
  return reward.status === 'scored' ? reward.value : undefined;
}

test('the reward is finite and inside [floor, 1]; the explanation passes its schema', () => {
  fc.assert(
    fc.property(caseArbitrary(), ({ rubric, verdicts }) => {
      const reward = aggregateReward({ rubric, verdicts });
      RewardSchema.parse(reward); // every number in the explanation is finite
      if (reward.status === 'scored') {
        assert.ok(Number.isFinite(reward.value));
        assert.ok(reward.value >= rubric.aggregation.floor && reward.value <= 1, `value ${reward.value}`);
      }
    }),
    RUNS,
  );
});

test('status: unscorable exactly when no veto fired and too few positive-weight criteria were scored', () => {
  fc.assert(
    fc.property(caseArbitrary(), ({ rubric, verdicts }) => {
      const reward = aggregateReward({ rubric, verdicts });
      const positive = rubric.criteria.filter((c) => c.weight > 0).map((c) => c.id);
      const scoredPositive = verdicts.filter(
        (v) => v.status === 'scored' && positive.includes(v.criterionId),
      ).length;
      const tooFew =
        scoredPositive === 0 ||
        scoredPositive < rubric.aggregation.minScoredFraction * positive.length - 1e-9;
      const vetoed = reward.explanation.vetoesFired.length > 0;
      assert.equal(reward.status, !vetoed && tooFew ? 'unscorable' : 'scored');
    }),
    RUNS,
  );
});

test('a fired veto dominates: the reward is the floor whatever the other verdicts say', () => {
  fc.assert(
    fc.property(caseArbitrary({ minVetoes: 1 }), ({ rubric, verdicts }) => {
      // c0 is a veto criterion with a threshold above 0, so a score of 0 fires it.
      const vetoed = withVerdict(verdicts, 0, scored('c0', 0));
      const reward = aggregateReward({ rubric, verdicts: vetoed });
      assert.equal(reward.status, 'scored');
      assert.equal(rewardValue(reward), rubric.aggregation.floor);
      assert.ok(reward.explanation.vetoesFired.includes('c0'));
    }),
    RUNS,
  );
});

// Holds when every interaction coefficient is >= 0: g (min or product) is non-decreasing in each
// score, saturation, the mean (for w > 0), the clip and every shaping rule are non-decreasing, and a
// higher score can only lift a veto. With b < 0 (a declared conflict) raising one criterion may
// lower the reward by design, so the property is not claimed there.
test('raising a positive-weight criterion never lowers the reward (coefficients >= 0)', () => {
  fc.assert(
    fc.property(
      caseArbitrary({ coefficients: 'nonNegative' }),
      fc.nat(),
      fc.double({ min: 0, max: 1, noNaN: true }),
      ({ rubric, verdicts }, pick, u) => {
        const k = pickIndex(
          rubric,
          pick,
          (i) => rubric.criteria[i]!.weight > 0 && verdicts[i]!.status === 'scored',
        );
        fc.pre(k !== undefined);
        const before = aggregateReward({ rubric, verdicts });
        const after = aggregateReward({ rubric, verdicts: raised(rubric, verdicts, k!, u) });
        if (before.status === 'unscorable') {
          // Coverage does not change and a higher score cannot fire a veto.
          assert.equal(after.status, 'unscorable');
        } else if (after.status === 'unscorable') {
          // Only possible when the raise lifted the one veto that kept the response scored.
          assert.deepEqual(before.explanation.vetoesFired, [rubric.criteria[k!]!.id]);
        } else {
          assert.ok(after.value >= before.value, `${before.value} -> ${after.value}`);
        }
      },
    ),
    RUNS,
  );
});

// A penalty (negative weight; never a veto) lowers the mean as it is met more. Interactions that
// involve a penalty are given coefficients <= 0 here: a positive synergy with a penalty would reward
// meeting it, which is what that rubric would then be asking for.
test('meeting a penalty criterion more never raises the reward', () => {
  fc.assert(
    fc.property(
      caseArbitrary(),
      fc.nat(),
      fc.double({ min: 0, max: 1, noNaN: true }),
      ({ rubric: drawn, verdicts }, pick, u) => {
        const weightOf = new Map(drawn.criteria.map((c) => [c.id, c.weight]));
        const rubric = makeRubric({
          criteria: drawn.criteria,
          aggregation: {
            ...drawn.aggregation,
            interactions: drawn.aggregation.interactions.map((it) =>
              weightOf.get(it.a)! < 0 || weightOf.get(it.b)! < 0
                ? { ...it, coefficient: -Math.abs(it.coefficient) }
                : it,
            ),
          },
        });
        const k = pickIndex(
          rubric,
          pick,
          (i) => rubric.criteria[i]!.weight < 0 && verdicts[i]!.status === 'scored',
        );
        fc.pre(k !== undefined);
        const before = aggregateReward({ rubric, verdicts });
        const after = aggregateReward({ rubric, verdicts: raised(rubric, verdicts, k!, u) });
        assert.equal(after.status, before.status);
        if (before.status === 'scored' && after.status === 'scored') {
          assert.ok(after.value <= before.value, `${before.value} -> ${after.value}`);
        }
      },
    ),
    RUNS,
  );
});

// Unscorable is not 0. Precisely: an unscorable criterion is marked so in the explanation, adds
// nothing to the numerator, and its weight is absent from the denominator. Replacing it with a
// verdict of 0 leaves the numerator and the interaction total unchanged (t = 0 gives w t = 0 and
// g(0, y) = 0) but:
// - for a positive weight w, adds w to the denominator, so the mean m becomes m D / (D + w):
//   strictly lower when m > 0 (and it counts towards coverage);
// - for a veto criterion (threshold > 0), fires the veto, so the reward becomes the floor;
// - for a penalty (w < 0), changes nothing but the record: not meeting a penalty and not knowing
//   are worth the same. That is the only case where the reward is always unchanged.
test('an unscorable verdict differs from a 0 verdict exactly as the denominator rule says', () => {
  fc.assert(
    fc.property(caseArbitrary(), fc.nat(), ({ rubric, verdicts: drawn }, pick) => {
      const k = pick % rubric.criteria.length;
      const c = rubric.criteria[k]!;
      const verdicts = withVerdict(drawn, k, unscorable(c.id));
      const u = aggregateReward({ rubric, verdicts });
      const zero = aggregateReward({ rubric, verdicts: withVerdict(drawn, k, scored(c.id, 0)) });

      const record = u.explanation.criteria[k]!;
      assert.equal(record.status, 'unscorable');
      assert.deepEqual(
        [record.normalised, record.transformed, record.contribution, record.vetoFired],
        [null, null, null, false],
      );
      let denominator = 0;
      rubric.criteria.forEach((criterion, i) => {
        if (criterion.weight > 0 && verdicts[i]!.status === 'scored') denominator += criterion.weight;
      });
      assert.equal(u.explanation.denominator, denominator);

      assert.equal(zero.explanation.numerator, u.explanation.numerator);
      assert.equal(zero.explanation.interactionTotal, u.explanation.interactionTotal);
      if (c.kind === 'veto') {
        assert.deepEqual([zero.status, rewardValue(zero)], ['scored', rubric.aggregation.floor]);
      } else if (c.weight < 0) {
        assert.equal(zero.status, u.status);
        assert.equal(rewardValue(zero), rewardValue(u));
        assert.equal(zero.explanation.denominator, u.explanation.denominator);
      } else {
        assert.equal(zero.explanation.coverage.scoredPositive, u.explanation.coverage.scoredPositive + 1);
        assert.ok(zero.explanation.denominator > u.explanation.denominator);
        const m = u.explanation.weightedMean;
        // Strictly lower in exact arithmetic; in floating point m D / (D + w) rounds back to m when m
        // is subnormal (a tier score of 4e-323 gave m = 5e-324), so the strict test needs a normal m.
        if (m !== null && m > 1e-290) assert.ok(zero.explanation.weightedMean! < m);
        if (m !== null && m > 0) assert.ok(zero.explanation.weightedMean! <= m);
        // `=== 0` on purpose: a penalty's tiny met score can underflow to -0 (-0.05 x 5e-323), and
        // the mean is then -0 in both; either zero is the same mean.
        if (m !== null && m === 0) assert.ok(zero.explanation.weightedMean === 0);
      }
    }),
    RUNS,
  );
});

test('never NaN: extreme weights give a finite reward or a NonFiniteRewardError', () => {
  fc.assert(
    fc.property(caseArbitrary({ weightRange: { min: 1e-300, max: 1.7e308 } }), ({ rubric, verdicts }) => {
      try {
        const reward = aggregateReward({ rubric, verdicts });
        RewardSchema.parse(reward);
        if (reward.status === 'scored') assert.ok(Number.isFinite(reward.value));
      } catch (err) {
        assert.ok(err instanceof NonFiniteRewardError, String(err));
      }
    }),
    RUNS,
  );
});
