import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOKKEEPING_BACKSTOP, activityPresets } from './presets.ts';
import { DEFAULT_TIMING } from '../src/contracts/timing.ts';

const taskQueues = { workflow: 'w', rollout: 'r', judge: 'j', trainer: 't' };

test('every ordinary activity preset has a heartbeat timeout: a lost worker is noticed in 10 s by default', () => {
  assert.equal(DEFAULT_TIMING.heartbeatTimeoutSeconds, 10);
  const { bookkeeping, ...ordinary } = activityPresets({ taskQueues, timing: DEFAULT_TIMING });
  for (const [name, preset] of Object.entries(ordinary)) {
    assert.equal(preset.heartbeatTimeout, '10 seconds', name);
    assert.notEqual(preset.startToCloseTimeout, undefined, name);
    assert.equal(preset.scheduleToStartTimeout, undefined, `${name}: waits for a worker`);
  }
  assert.equal(ordinary.fast.taskQueue, 'w');
  assert.equal(ordinary.fast.startToCloseTimeout, BOOKKEEPING_BACKSTOP);
  assert.equal(ordinary.rollout.taskQueue, 'r');
  assert.equal(ordinary.judge.taskQueue, 'j');
  assert.equal(ordinary.trainer.taskQueue, 't');
  // Local bookkeeping: the same backstop and retries as its ordinary form, no schedule-to-close limit.
  assert.equal(bookkeeping.startToCloseTimeout, BOOKKEEPING_BACKSTOP);
  assert.deepEqual(bookkeeping.retry, ordinary.fast.retry);
  assert.equal(bookkeeping.scheduleToCloseTimeout, undefined);
});

test("a run's timing overrides the heartbeat timeout of every ordinary preset", () => {
  const { bookkeeping: _, ...ordinary } = activityPresets({
    taskQueues,
    timing: { heartbeatTimeoutSeconds: 3 },
  });
  for (const [name, preset] of Object.entries(ordinary))
    assert.equal(preset.heartbeatTimeout, '3 seconds', name);
});
