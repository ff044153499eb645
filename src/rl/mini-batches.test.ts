import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combineMiniBatches, splitMiniBatches } from './mini-batches.ts';

describe('mini-batches', () => {
  it('splits in order into near-equal non-empty parts', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    assert.deepEqual(splitMiniBatches(items, 1), [items]);
    assert.deepEqual(
      splitMiniBatches(items, 3).map((p) => p.length),
      [4, 3, 3],
    );
    assert.deepEqual(splitMiniBatches(items, 3).flat(), items);
    assert.deepEqual(splitMiniBatches([1, 2], 4), [[1], [2]]);
    assert.deepEqual(splitMiniBatches([], 2), []);
    assert.throws(() => splitMiniBatches(items, 0), /integer >= 1/);
  });

  it('combines results as sequence-weighted means, counts summed', () => {
    const combined = combineMiniBatches([
      { loss: 1, metrics: { a: 1, b: 4 }, sequences: 3, tokens: 30 },
      { loss: 2, metrics: { a: 3 }, sequences: 1, tokens: 5 },
    ]);
    assert.equal(combined.loss, 1.25);
    assert.deepEqual(combined.metrics, { a: 1.5, b: 4 });
    assert.equal(combined.sequences, 4);
    assert.equal(combined.tokens, 35);
  });
});
