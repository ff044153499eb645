import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toNumbers } from '../graph/tensor.ts';
import { rightPad } from './batching.ts';
import { chunks, placeResponseValues, readResponseValues, scoredBatch } from './scored-batch.ts';

test('right padding with a mask', () => {
  const right = rightPad({ sequences: [[1, 2, 3], [4]], padId: 9 });
  assert.deepEqual(right.ids.dims, [2, 3]);
  assert.deepEqual(toNumbers(right.ids), [1, 2, 3, 4, 9, 9]);
  assert.deepEqual(toNumbers(right.mask), [1, 1, 1, 1, 0, 0]);
  assert.throws(() => rightPad({ sequences: [], padId: 0 }), /at least one/);
});

test('scored batches put response values at their token positions and read them back', () => {
  const sequences = [
    { promptIds: [1, 2], responseIds: [3, 4, 5] },
    { promptIds: [6], responseIds: [7] },
  ];
  const batch = scoredBatch({ sequences, padId: 0 });
  assert.equal(batch.width, 5);
  assert.equal(batch.responseTokens, 4);
  assert.deepEqual(Array.from(batch.lossMask.data as Float32Array), [0, 0, 1, 1, 1, 0, 1, 0, 0, 0]);
  const placed = placeResponseValues({
    sequences,
    values: [[-1, -2, -3], [-4]],
    width: batch.width,
    what: 'x',
  });
  assert.deepEqual(Array.from(placed.data as Float32Array), [0, 0, -1, -2, -3, 0, -4, 0, 0, 0]);
  assert.deepEqual(readResponseValues({ sequences, tensor: placed }), [[-1, -2, -3], [-4]]);
  assert.throws(
    () => placeResponseValues({ sequences, values: [[-1], [-4]], width: 5, what: 'oldLogprobs' }),
    /oldLogprobs\[0\] has 1 values for 3 response tokens/,
  );
  assert.deepEqual(chunks([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
});
