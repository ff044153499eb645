import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSpread, quietEnough, spread } from './bench-stats.ts';

test('spread gives min, median and max; formatSpread prints them', () => {
  assert.deepEqual(spread([3, 1, 2]), { min: 1, median: 2, max: 3 });
  assert.deepEqual(spread([4, 1, 3, 2]), { min: 1, median: 2.5, max: 4 });
  assert.equal(formatSpread(spread([1.234, 5.678]), 1), '1.2 / 3.5 / 5.7');
  assert.ok(Number.isNaN(spread([]).median));
});

test('ratios are withheld when the machine was busy before or during the run, unless forced', () => {
  assert.deepEqual(quietEnough({ startLoad: 0.4, otherCores: 0.05, cores: 2, force: false }), {
    report: true,
    forced: false,
    loadLimit: 1,
    otherLimit: 0.2,
  });
  assert.equal(quietEnough({ startLoad: 1.5, otherCores: 0, cores: 2, force: false }).report, false);
  assert.equal(quietEnough({ startLoad: 0.2, otherCores: 0.5, cores: 2, force: false }).report, false);
  const forced = quietEnough({ startLoad: 1.5, otherCores: 0, cores: 2, force: true });
  assert.deepEqual([forced.report, forced.forced], [true, true]);
});
