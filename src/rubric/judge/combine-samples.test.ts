import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../util/errors.ts';
import { Verdict } from '../verdict.ts';
import { AVERAGED_TIER_LABEL, combineSamples } from './combine-samples.ts';
import { MAX_REASON_CHARS } from './reasons.ts';

const evaluator = 'judge:m';
const scored = (tierScore: number, tierLabel: string, reason = `${tierLabel} because`): Verdict => ({
  criterionId: 'accuracy',
  status: 'scored',
  tierScore,
  tierLabel,
  reason,
  evaluator,
});
const unscorable = (reason = 'malformed judge reply after one repair attempt: not JSON'): Verdict => ({
  criterionId: 'accuracy',
  status: 'unscorable',
  reason,
  evaluator,
});

describe('combineSamples', () => {
  test('one sample is its own verdict, unchanged (no samples field)', () => {
    const v = scored(2, 'good');
    assert.equal(combineSamples({ samples: [v] }), v);
    const u = unscorable();
    assert.equal(combineSamples({ samples: [u] }), u);
  });

  test('samples that disagree: the mean of their tier scores, labelled averaged, every sample kept', () => {
    const v = combineSamples({
      samples: [scored(2, 'good', 'right'), scored(1, 'fair', 'partly'), scored(2, 'good', 'right again')],
    });
    assert.equal(v.status, 'scored');
    assert.ok(v.status === 'scored');
    assert.equal(v.tierScore, 5 / 3);
    assert.equal(v.tierLabel, AVERAGED_TIER_LABEL);
    assert.equal(v.evaluator, evaluator);
    assert.deepEqual(v.samples, [
      { status: 'scored', tierScore: 2, tierLabel: 'good', reason: 'right' },
      { status: 'scored', tierScore: 1, tierLabel: 'fair', reason: 'partly' },
      { status: 'scored', tierScore: 2, tierLabel: 'good', reason: 'right again' },
    ]);
    assert.equal(
      v.reason,
      'mean of 3 judge samples: [1] good (2): right | [2] fair (1): partly | [3] good (2): right again',
    );
    assert.doesNotThrow(() => Verdict.parse(v), 'a combined verdict is a valid verdict');
  });

  test('samples that agree keep their tier and its exact score', () => {
    const v = combineSamples({ samples: [scored(0.1, 'low'), scored(0.1, 'low'), scored(0.1, 'low')] });
    assert.ok(v.status === 'scored');
    assert.equal(v.tierScore, 0.1, '(0.1 + 0.1 + 0.1) / 3 would be 0.10000000000000002');
    assert.equal(v.tierLabel, 'low');
  });

  test('unscorable samples are left out of the mean, and listed', () => {
    const v = combineSamples({ samples: [scored(2, 'good'), unscorable('bad tier'), scored(0, 'poor')] });
    assert.ok(v.status === 'scored');
    assert.equal(v.tierScore, 1);
    assert.equal(v.tierLabel, AVERAGED_TIER_LABEL);
    assert.match(v.reason, /^mean of 2 scored of 3 judge samples: .*\[2\] unscorable: bad tier/);
    assert.equal(v.samples?.[1]?.status, 'unscorable');
  });

  test('all samples unscorable: unscorable, never 0, with the reasons', () => {
    const same = combineSamples({
      samples: [unscorable('request budget exhausted'), unscorable('request budget exhausted')],
    });
    assert.equal(same.status, 'unscorable');
    assert.equal('tierScore' in same, false);
    assert.equal(same.reason, 'all 2 judge samples unscorable: request budget exhausted');
    assert.equal(same.samples?.length, 2);
    const mixed = combineSamples({ samples: [unscorable('a'), unscorable('b'), unscorable('a')] });
    assert.equal(
      mixed.reason,
      'all 3 judge samples unscorable: [1] unscorable: a | [2] unscorable: b | [3] unscorable: a',
    );
  });

  test('a long list of reasons is cut to the verdict reason limit', () => {
    const long = 'x'.repeat(MAX_REASON_CHARS);
    const v = combineSamples({ samples: [scored(1, 'fair', long), scored(2, 'good', long)] });
    assert.equal(v.reason.length, MAX_REASON_CHARS);
    assert.equal(v.samples?.[0]?.reason, long, 'each sample keeps its own reason whole');
  });

  test('no samples, or samples of different criteria, are refused', () => {
    assert.throws(() => combineSamples({ samples: [] }), ValidationError);
    assert.throws(
      () =>
        combineSamples({ samples: [scored(1, 'fair'), { ...scored(1, 'fair'), criterionId: 'clarity' }] }),
      /samples of one criterion, got 'accuracy' and 'clarity'/,
    );
  });

  test('property: the score is the plain mean of the scored samples, within their range, or unscorable', () => {
    const sample = fc.oneof(
      fc.integer({ min: 0, max: 4 }).map((s) => scored(s, `tier-${s}`)),
      fc.constant(unscorable()),
    );
    fc.assert(
      fc.property(fc.array(sample, { minLength: 2, maxLength: 6 }), (samples) => {
        const v = combineSamples({ samples });
        let sum = 0;
        let n = 0;
        for (const s of samples) {
          if (s.status !== 'scored') continue;
          sum += s.tierScore;
          n++;
        }
        if (n === 0) return v.status === 'unscorable';
        if (v.status !== 'scored') return false;
        const scores = samples.flatMap((s) => (s.status === 'scored' ? [s.tierScore] : []));
        return (
          Math.abs(v.tierScore - sum / n) < 1e-12 &&
          v.tierScore >= Math.min(...scores) &&
          v.tierScore <= Math.max(...scores) &&
          v.samples?.length === samples.length
        );
      }),
      { numRuns: 300 },
    );
  });
});
