import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOKKEEPING_BACKSTOP, activityPresets } from './presets.ts';
import { DEFAULT_TIMING } from '../src/contracts/workflow-types.ts';

const taskQueues = { workflow: 'w', rollout: 'r', judge: 'j', trainer: 't' };

test('every activity preset has a heartbeat timeout: a lost worker is noticed in 10 s by default', () => {
  assert.equal(DEFAULT_TIMING.heartbeatTimeoutSeconds, 10);
  const presets = activityPresets({ taskQueues, timing: DEFAULT_TIMING });
  for (const [name, preset] of Object.entries(presets)) {
    assert.equal(preset.heartbeatTimeout, '10 seconds', name);
    assert.notEqual(preset.startToCloseTimeout, undefined, name);
    assert.equal(preset.scheduleToStartTimeout, undefined, `${name}: waits for a worker`);
  }
  assert.equal(presets.fast.taskQueue, 'w');
  assert.equal(presets.fast.startToCloseTimeout, BOOKKEEPING_BACKSTOP);
  assert.equal(presets.rollout.taskQueue, 'r');
  assert.equal(presets.judge.taskQueue, 'j');
  assert.equal(presets.trainer.taskQueue, 't');
});

test("a run's timing overrides the heartbeat timeout of every preset", () => {
  const presets = activityPresets({ taskQueues, timing: { heartbeatTimeoutSeconds: 3 } });
  for (const [name, preset] of Object.entries(presets))
    assert.equal(preset.heartbeatTimeout, '3 seconds', name);
});
