import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { phaseView } from './follow-run.ts';

const A = `sha256:${'a'.repeat(64)}`;
const step = (phase: 'rollouts' | 'judging' | 'update' | 'commit') => ({
  step: 3,
  phase,
  judgeShards: 4,
  judgeShardsDone: 1,
});

describe('anchorage train: the phase on the live line', () => {
  it('rollouts from their heartbeat, judge shards from the step, the update from its micro-batches', () => {
    assert.deepEqual(phaseView(undefined), { name: 'starting' });
    assert.deepEqual(phaseView(step('rollouts')), { name: 'rollouts' });
    assert.deepEqual(
      phaseView(step('rollouts'), {
        total: 4,
        groups: { 0: A },
        decoding: { groups: 2, step: 12, maxSteps: 48 },
      }),
      { name: 'rollouts', fraction: 0.375 },
    );
    assert.deepEqual(phaseView(step('judging')), { name: 'judging', fraction: 0.25, detail: '1/4 shards' });
    assert.deepEqual(phaseView(step('update')), { name: 'policy update' });
    assert.deepEqual(phaseView(step('update'), { microBatches: { done: 3, total: 4 } }), {
      name: 'policy update',
      fraction: 0.75,
      detail: '3/4 micro-batches',
    });
    assert.deepEqual(phaseView(step('commit')), { name: 'commit' });
  });
});
