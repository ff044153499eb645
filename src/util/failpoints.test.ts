import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from './errors.ts';
import { FAILPOINT_NAMES } from './failpoint-names.ts';
import { FAILPOINTS_ENV, failpoint, failpointSpec, failpointValue, parseFailpoints } from './failpoints.ts';

test('failpoint specs: name, action and facts; a name or action not declared is refused', () => {
  const spec = `${failpointSpec('checkpoint.written', 'kill', { step: 2 })}; rollouts.group-written:step=2,groups=3`;
  assert.equal(failpointSpec('checkpoint.written', 'kill', { step: 2 }), 'checkpoint.written@kill:step=2');
  assert.deepEqual(
    [...parseFailpoints(spec)],
    [
      ['checkpoint.written', { action: 'kill', conditions: { step: '2' } }],
      ['rollouts.group-written', { action: 'pause', conditions: { step: '2', groups: '3' } }],
    ],
  );
  assert.deepEqual([...parseFailpoints(undefined)], []);
  assert.throws(
    () => parseFailpoints('checkpoint.writen@kill'),
    (err: unknown) =>
      err instanceof ValidationError &&
      err.message.includes("unknown failpoint 'checkpoint.writen'") &&
      FAILPOINT_NAMES.every((n) => err.message.includes(n)),
  );
  assert.throws(
    () => parseFailpoints('checkpoint.written@explode'),
    /unknown action 'explode'; expected one of pause, kill, nan/,
  );
  assert.throws(() => parseFailpoints('checkpoint.written:step'), /expected fact=value, got 'step'/);
});

test('an armed failpoint fires only where its facts match; a value failpoint armed with nan gives NaN', async () => {
  const saved = process.env[FAILPOINTS_ENV];
  try {
    process.env[FAILPOINTS_ENV] = 'rewards.aggregated@nan:step=2';
    assert.equal(failpointValue('rewards.aggregated', { step: 1, purpose: 'train' }, 0.5), 0.5);
    assert.ok(Number.isNaN(failpointValue('rewards.aggregated', { step: 2, purpose: 'train' }, 0.5)));
    assert.equal(failpointValue('checkpoint.written', { step: 2 }, 0.5), 0.5, 'not armed');
    // Unmatched or unarmed failpoints return at once; `nan` on a failpoint without a value is an error.
    process.env[FAILPOINTS_ENV] = 'checkpoint.written@nan:step=2';
    await failpoint('checkpoint.written', { step: 1 });
    await failpoint('checkpoint.committed', { step: 2 });
    await assert.rejects(failpoint('checkpoint.written', { step: 2 }), /has no value to make NaN/);
    process.env[FAILPOINTS_ENV] = 'rewards.aggregated@pause';
    assert.throws(() => failpointValue('rewards.aggregated', {}, 1), /arm it with @nan, not @pause/);
  } finally {
    if (saved === undefined) delete process.env[FAILPOINTS_ENV];
    else process.env[FAILPOINTS_ENV] = saved;
  }
});
