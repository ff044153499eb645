import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickTrainedGroups } from './assemble-batch.ts';

test('the trained batch: groups with variance, round by round in batch order, the first `wanted`', () => {
  const variance = [
    [false, true, false, true],
    [true, false],
    [true, true],
  ];
  assert.deepEqual(pickTrainedGroups({ variance, wanted: 4 }), [
    { round: 0, index: 1 },
    { round: 0, index: 3 },
    { round: 1, index: 0 },
    { round: 2, index: 0 },
  ]);
  assert.deepEqual(pickTrainedGroups({ variance, wanted: 9 }).length, 5, 'fewer when the rounds hold fewer');
  assert.deepEqual(pickTrainedGroups({ variance: [[false], [false]], wanted: 2 }), []);
});
