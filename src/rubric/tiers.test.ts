import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PASS_FAIL_TIERS } from './resolve.ts';
import { tierForScore } from './tiers.ts';

const tenBands = [2, 4, 6, 8, 10].map((score) => ({ score, label: `b${score}`, description: '' }));

test('pass/fail maps 1 to pass and anything lower to fail', () => {
  assert.equal(tierForScore(PASS_FAIL_TIERS, 1).label, 'pass');
  assert.equal(tierForScore(PASS_FAIL_TIERS, 0.99).label, 'fail');
  assert.equal(tierForScore(PASS_FAIL_TIERS, 0).label, 'fail');
});

test('graded tiers pick the highest tier not above the score', () => {
  assert.equal(tierForScore(tenBands, 0.6).label, 'b6');
  assert.equal(tierForScore(tenBands, 0.79).label, 'b6');
  assert.equal(tierForScore(tenBands, 0.8).label, 'b8');
  // Below the lowest tier's normalised score, the lowest tier is still the answer.
  assert.equal(tierForScore(tenBands, 0).label, 'b2');
});

test('scores outside [0, 1] are a programming error', () => {
  assert.throws(() => tierForScore(tenBands, 1.5), /\[0, 1\]/);
  assert.throws(() => tierForScore(tenBands, Number.NaN), /\[0, 1\]/);
});
