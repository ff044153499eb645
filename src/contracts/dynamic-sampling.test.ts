import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dynamicSamplingOutcome, wantsRefill } from './dynamic-sampling.ts';

test('a step refills while too few groups vary and rounds are left, never past the bound', () => {
  assert.equal(wantsRefill({ kept: 1, wanted: 4, roundsDone: 0, maxRounds: 2 }), true);
  assert.equal(wantsRefill({ kept: 1, wanted: 4, roundsDone: 2, maxRounds: 2 }), false, 'the bound');
  assert.equal(wantsRefill({ kept: 4, wanted: 4, roundsDone: 0, maxRounds: 2 }), false, 'full');
  assert.equal(wantsRefill({ kept: 0, wanted: 4, roundsDone: 0, maxRounds: 0 }), false, 'no round left');
});

test('the outcome of a step: rounds, groups drawn, kept (at most wanted), zero-variance share before refill', () => {
  const round = (groups: number, withVariance: number) => ({ groups, withVariance, wanted: 4, maxRounds: 3 });
  assert.deepEqual(dynamicSamplingOutcome([round(4, 1), round(4, 2), round(4, 3)]), {
    rounds: 2,
    groupsDrawn: 12,
    groupsWithVariance: 6,
    groupsKept: 4,
    wanted: 4,
    zeroVarianceBefore: 0.75,
  });
  // The bound hit: kept below wanted, recorded as such.
  assert.deepEqual(dynamicSamplingOutcome([round(4, 0), round(2, 1)]), {
    rounds: 1,
    groupsDrawn: 6,
    groupsWithVariance: 1,
    groupsKept: 1,
    wanted: 4,
    zeroVarianceBefore: 1,
  });
  assert.throws(() => dynamicSamplingOutcome([]), /round 0/);
});
