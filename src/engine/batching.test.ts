import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tensor, toNumbers } from '../graph/tensor.ts';
import { growMask, leftPad, rightPad, selectRows } from './batching.ts';
import { chunks, placeResponseValues, readResponseValues, scoredBatch } from './scored-batch.ts';

test('left and right padding with masks', () => {
  const left = leftPad({ sequences: [[1, 2, 3], [4]], padId: 0 });
  assert.deepEqual(left.ids.dims, [2, 3]);
  assert.deepEqual(toNumbers(left.ids), [1, 2, 3, 0, 0, 4]);
  assert.deepEqual(toNumbers(left.mask), [1, 1, 1, 0, 0, 1]);
  const right = rightPad({ sequences: [[1, 2, 3], [4]], padId: 9 });
  assert.deepEqual(toNumbers(right.ids), [1, 2, 3, 4, 9, 9]);
  assert.deepEqual(toNumbers(right.mask), [1, 1, 1, 1, 0, 0]);
  assert.throws(() => leftPad({ sequences: [], padId: 0 }), /at least one/);
});

test('selectRows keeps batch rows in the given order; growMask appends a real token', () => {
  const t = tensor.f32(
    [3, 2, 2],
    Array.from({ length: 12 }, (_, i) => i),
  );
  const picked = selectRows(t, [2, 0]);
  assert.deepEqual(picked.dims, [2, 2, 2]);
  assert.deepEqual(Array.from(picked.data as Float32Array), [8, 9, 10, 11, 0, 1, 2, 3]);
  const mask = selectRows(tensor.i64([2, 2], [0, 1, 1, 1]), [1]);
  assert.deepEqual(toNumbers(mask), [1, 1]);
  assert.deepEqual(toNumbers(growMask(tensor.i64([2, 2], [0, 1, 1, 1]))), [0, 1, 1, 1, 1, 1]);
  assert.throws(() => selectRows(t, [3]), /row 3/);
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
