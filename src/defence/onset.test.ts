import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOnset, slope, trendOf } from './onset.ts';

describe('trend onset', () => {
  it('slope of a line is its gradient', () => {
    assert.equal(slope([1, 3, 5, 7]), 2);
    assert.equal(slope([4]), 0);
  });

  it('a series shorter than the window has no trend', () => {
    assert.equal(trendOf({ series: [0.1, 0.9], window: 3, minRise: 0.1 }).rising, false);
  });

  it('rises when the window slopes up by at least minRise', () => {
    assert.equal(trendOf({ series: [0.5, 0.2, 0.3, 0.5], window: 3, minRise: 0.1 }).rising, true);
    assert.equal(trendOf({ series: [0.2, 0.25, 0.28], window: 3, minRise: 0.1 }).rising, false);
    // Noise that ends higher but slopes down is no trend.
    assert.equal(trendOf({ series: [0.2, 0.9, 0.1, 0.35], window: 3, minRise: 0.1 }).rising, false);
  });

  it('measures a relative rise against the window start', () => {
    const t = trendOf({ series: [100, 120, 150], window: 3, minRise: 0.25, relative: true });
    assert.equal(t.rising, true);
    assert.equal(t.rise, 0.5);
    assert.equal(
      trendOf({ series: [100, 110, 120], window: 3, minRise: 0.25, relative: true }).rising,
      false,
    );
  });

  it('an onset is the first rising step', () => {
    assert.equal(isOnset({ risingNow: true, risingBefore: false }), true);
    assert.equal(isOnset({ risingNow: true, risingBefore: true }), false);
    assert.equal(isOnset({ risingNow: false, risingBefore: false }), false);
  });
});
