import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeating, heartbeatPeriodMs } from './heartbeat.ts';

describe('heartbeats', () => {
  it('beat every period, at least three times per heartbeat timeout', () => {
    assert.equal(heartbeatPeriodMs({ everyMs: 2_000, heartbeatTimeoutMs: 10_000 }), 2_000);
    assert.equal(heartbeatPeriodMs({ everyMs: 2_000, heartbeatTimeoutMs: 3_000 }), 1_000);
    assert.equal(heartbeatPeriodMs({ everyMs: 2_000, heartbeatTimeoutMs: undefined }), 2_000);
    assert.equal(heartbeatPeriodMs({ everyMs: 2_000, heartbeatTimeoutMs: 0 }), 2_000);
  });

  it('a wrapped bookkeeping activity heartbeats while it runs, and not once it has returned', async (t) => {
    // Mocked intervals: the test moves time itself, so nothing here waits on the clock.
    t.mock.timers.enable({ apis: ['setInterval'] });
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    // The activity waits for its own first heartbeat: proof that it beats while running.
    const activity = heartbeating(
      async (input: { n: number }) => {
        await once(env, 'heartbeat');
        return input.n * 2;
      },
      { everyMs: 5 },
    );
    const result = env.run(activity, { n: 21 });
    t.mock.timers.tick(5);
    assert.equal(await result, 42);
    const after = beats;
    // Many periods later: an interval left running would have beaten again.
    t.mock.timers.tick(1_000);
    assert.equal(beats, after);
  });

  it('a wrapped activity that ends within one period sends no heartbeat, and its failure passes through', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const quick = heartbeating(async (n: number) => n + 1, { everyMs: 60_000 });
    assert.equal(await env.run(quick, 1), 2);
    const failing = heartbeating(
      async (_: number): Promise<number> => {
        throw new Error('store unreachable');
      },
      { everyMs: 60_000 },
    );
    await assert.rejects(env.run(failing, 1), /store unreachable/);
    assert.equal(beats, 0);
  });
});
