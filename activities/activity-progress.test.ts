import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rolloutFraction } from '../src/contracts/activity-progress.ts';
import { parseRolloutProgress } from './activity-progress.ts';

const A = `sha256:${'a'.repeat(64)}`;

describe('rollout progress (heartbeat details)', () => {
  it('keeps the groups of the same plan and drops malformed entries', () => {
    const parsed = parseRolloutProgress({ total: 4, groups: { 0: A, 2: A, 7: A, x: A, 1: 'nope' } }, 4);
    assert.deepEqual([...parsed.keys()].sort(), [0, 2]);
    assert.equal(parseRolloutProgress({ total: 5, groups: { 0: A } }, 4).size, 0, 'another plan');
    assert.equal(parseRolloutProgress(undefined, 4).size, 0);
    assert.equal(parseRolloutProgress('x', 4).size, 0);
  });

  it('counts finished groups and the decoding of the groups in flight', () => {
    assert.equal(rolloutFraction({ total: 4, groups: {} }), 0);
    assert.equal(rolloutFraction({ total: 4, groups: { 0: A, 1: A } }), 0.5);
    assert.equal(
      rolloutFraction({ total: 4, groups: { 0: A }, decoding: { groups: 2, step: 24, maxSteps: 48 } }),
      0.5,
    );
    assert.equal(
      rolloutFraction({ total: 4, groups: {}, decoding: { groups: 4, step: 60, maxSteps: 48 } }),
      1,
    );
    assert.equal(rolloutFraction({ total: 0, groups: {} }), 0);
    assert.equal(rolloutFraction({ total: 4, groups: {}, decoding: { groups: 4, step: 3, maxSteps: 0 } }), 0);
  });
});
