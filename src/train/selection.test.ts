import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantile, selectByQuantile } from './selection.ts';

test('quantiles interpolate linearly between order statistics', () => {
  assert.equal(quantile([0, 1, 2, 3, 4], 0.5), 2);
  assert.equal(quantile([0, 1, 2, 3, 4], 0.1), 0.4);
  assert.equal(quantile([5], 0.9), 5);
  assert.throws(() => quantile([], 0.5), /no values/);
});

test('selection keeps the central band and drops piles of solved and hopeless prompts', () => {
  const means = [0, 0, 0, 0, 0.25, 0.5, 0.5, 0.75, 1, 1].map((mean, i) => ({ promptId: `p${i}`, mean }));
  const out = selectByQuantile({
    means: [...means, { promptId: 'none', mean: null }],
    lowerQuantile: 0.1,
    upperQuantile: 0.9,
  });
  assert.equal(out.lower, 0);
  assert.equal(out.upper, 1);
  assert.deepEqual(
    out.kept,
    ['p4', 'p5', 'p6', 'p7'],
    'hopeless (0) and solved (1) prompts go, unscored ones too',
  );

  // Edges inside the range are inclusive.
  const spread = [0.1, 0.2, 0.3, 0.4, 0.5].map((mean, i) => ({ promptId: `q${i}`, mean }));
  const band = selectByQuantile({ means: spread, lowerQuantile: 0.25, upperQuantile: 0.75 });
  assert.deepEqual([band.lower, band.upper], [0.2, 0.4]);
  assert.deepEqual(band.kept, ['q1', 'q2', 'q3']);
  assert.deepEqual(selectByQuantile({ means: [], lowerQuantile: 0.1, upperQuantile: 0.9 }).kept, []);
});
