import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Verdict, VerdictSample } from '../verdict.ts';
import {
  criterionDisagreement,
  DisagreementTally,
  disagreementRates,
  mergeDisagreement,
  tallyDisagreement,
} from './disagreement.ts';

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

const s = (tierScore: number): VerdictSample => ({
  status: 'scored',
  tierScore,
  tierLabel: String(tierScore),
  reason: 'r',
});
const u: VerdictSample = { status: 'unscorable', reason: 'malformed' };
/** A combined verdict carrying these samples (its own score does not matter here). */
const sampled = (criterionId: string, samples: VerdictSample[]): Verdict => ({
  criterionId,
  status: 'scored',
  tierScore: 0,
  tierLabel: 'averaged',
  reason: 'mean',
  evaluator: 'judge:m',
  samples,
});

describe('criterionDisagreement', () => {
  test('needs two scored samples', () => {
    assert.equal(criterionDisagreement({ scores: [], topScore: 2 }), undefined);
    assert.equal(criterionDisagreement({ scores: [1], topScore: 2 }), undefined);
  });

  test('equal samples agree: spread and std 0', () => {
    assert.deepEqual(criterionDisagreement({ scores: [2, 2, 2], topScore: 2 }), {
      disagree: false,
      spread: 0,
      std: 0,
    });
  });

  test('spread is (max - min) / top; std is the population std of score / top', () => {
    const d = criterionDisagreement({ scores: [2, 1, 2], topScore: 2 })!;
    assert.equal(d.disagree, true);
    assert.equal(d.spread, 0.5);
    // x = 1, 0.5, 1: mean 5/6, deviations 1/6, -1/3, 1/6: variance (1/36 + 1/9 + 1/36) / 3 = 1/18.
    near(d.std, Math.sqrt(1 / 18));
    const pass = criterionDisagreement({ scores: [0, 1], topScore: 1 })!;
    assert.deepEqual(pass, { disagree: true, spread: 1, std: 0.5 });
  });

  test('a top score that is not positive is refused', () => {
    assert.throws(() => criterionDisagreement({ scores: [0, 0], topScore: 0 }), RangeError);
  });

  test('property: spread and std lie in [0, 1], std <= spread, and both are 0 exactly when all agree', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 2, maxLength: 8 }),
        (top, raw) => {
          const scores = raw.map((r) => r % (top + 1));
          const d = criterionDisagreement({ scores, topScore: top })!;
          const allEqual = scores.every((x) => x === scores[0]);
          return (
            d.disagree === !allEqual &&
            d.spread >= 0 &&
            d.spread <= 1 &&
            d.std >= 0 &&
            d.std <= d.spread / 2 + 1e-12 &&
            (d.spread === 0) === allEqual
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('tallyDisagreement, mergeDisagreement, disagreementRates', () => {
  const verdicts = [
    // accuracy (top 2): 2, 1, 2: disagrees, spread 0.5, std sqrt(1/18).
    { verdict: sampled('accuracy', [s(2), s(1), s(2)]), topScore: 2 },
    // accuracy: 2, 2 and an unscorable one: agrees.
    { verdict: sampled('accuracy', [s(2), u, s(2)]), topScore: 2 },
    // brevity (top 1): 0, 1: disagrees, spread 1, std 0.5.
    { verdict: sampled('brevity', [s(0), s(1)]), topScore: 1 },
    // Only one scored sample: not compared.
    { verdict: sampled('clarity', [s(1), u, u]), topScore: 2 },
    // A verdict from a judge asked once (or a verifier): no samples, not compared.
    {
      verdict: {
        criterionId: 'letters',
        status: 'scored',
        tierScore: 1,
        tierLabel: 'pass',
        reason: 'ok',
        evaluator: 'letters',
      } satisfies Verdict,
      topScore: 1,
    },
  ];

  test('a known set of verdicts gives exact counts, sums and rates', () => {
    const tally = tallyDisagreement(verdicts);
    assert.equal(tally.compared, 3);
    assert.equal(tally.disagreeing, 2);
    near(tally.spreadSum, 1.5);
    near(tally.stdSum, Math.sqrt(1 / 18) + 0.5);
    assert.deepEqual(tally.byCriterion, {
      accuracy: { compared: 2, disagreeing: 1 },
      brevity: { compared: 1, disagreeing: 1 },
    });
    assert.doesNotThrow(() => DisagreementTally.parse(tally));
    const rates = disagreementRates(tally)!;
    assert.equal(rates.compared, 3);
    near(rates.disagreementRate, 2 / 3);
    near(rates.meanSpread, 0.5);
    near(rates.meanStd, (Math.sqrt(1 / 18) + 0.5) / 3);
    assert.deepEqual(rates.byCriterion, { accuracy: 0.5, brevity: 1 });
  });

  test('tallies of parts merge to the tally of the whole', () => {
    const whole = tallyDisagreement(verdicts);
    const merged = mergeDisagreement([
      tallyDisagreement(verdicts.slice(0, 2)),
      tallyDisagreement([]),
      tallyDisagreement(verdicts.slice(2)),
    ]);
    assert.deepEqual(merged, whole);
  });

  test('nothing compared: no rates at all (absent, not 0)', () => {
    assert.equal(disagreementRates(tallyDisagreement(verdicts.slice(3))), undefined);
    assert.equal(disagreementRates(mergeDisagreement([])), undefined);
  });
});
