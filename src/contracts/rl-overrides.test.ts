import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RlSettings } from '../config/rl.ts';
import { isRlOverrideKey, RL_OVERRIDE_KEYS } from './rl-overrides.ts';

test('every override key is a numeric RL setting, so the trainer can apply it', () => {
  const defaults = RlSettings.parse({});
  for (const key of RL_OVERRIDE_KEYS) {
    assert.ok(key in RlSettings.shape, `${key} is an RL setting`);
    assert.equal(typeof defaults[key], 'number', `${key} is a number`);
  }
  assert.ok(isRlOverrideKey('learningRate'));
  assert.ok(!isRlOverrideKey('groupSize'), 'the group size is fixed for a run');
});
