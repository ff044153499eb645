import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WORKER_ROLES } from '../../src/contracts/task-queues.ts';
import { chaosSchedule, meanGapFor, targetName } from './schedule.ts';

const plan = (seed: number, meanGapMs = 1000) =>
  chaosSchedule({ seed, kills: 20, serverRestarts: 2, roles: WORKER_ROLES, meanGapMs });

describe('chaosSchedule', () => {
  it('the same seed gives the same disruptions; another seed others', () => {
    assert.deepEqual(plan(7), plan(7));
    assert.notDeepEqual(plan(7), plan(8));
  });

  it('has the kills and server restarts asked for, numbered in order, on the given roles', () => {
    const s = plan(3);
    assert.deepEqual(
      s.map((d) => d.index),
      Array.from({ length: 22 }, (_, i) => i + 1),
    );
    assert.equal(s.filter((d) => d.target.kind === 'server').length, 2);
    const roles = s.flatMap((d) => (d.target.kind === 'worker' ? [d.target.role] : []));
    assert.equal(roles.length, 20);
    for (const r of roles) assert.ok(WORKER_ROLES.includes(r));
    // Twenty draws over four roles: more than one is hit.
    assert.ok(new Set(roles).size > 1);
  });

  it('draws delays in [0.25, 1.75) of the mean gap, scaling with it alone', () => {
    const s = plan(11, 1000);
    for (const d of s) assert.ok(d.delayMs >= 250 && d.delayMs < 1750, `${d.delayMs}`);
    const doubled = plan(11, 2000);
    assert.deepEqual(
      doubled.map((d) => targetName(d.target)),
      s.map((d) => targetName(d.target)),
    );
    for (const [i, d] of doubled.entries()) assert.ok(Math.abs(d.delayMs - 2 * s[i]!.delayMs) <= 1);
  });

  it('nothing to do gives nothing; bad counts are refused', () => {
    assert.deepEqual(chaosSchedule({ seed: 1, kills: 0, serverRestarts: 0, roles: [], meanGapMs: 1 }), []);
    assert.throws(
      () => chaosSchedule({ seed: 1, kills: -1, serverRestarts: 0, roles: WORKER_ROLES, meanGapMs: 1 }),
      /kills: expected an integer >= 0/,
    );
    assert.throws(
      () => chaosSchedule({ seed: 1, kills: 1, serverRestarts: 0, roles: [], meanGapMs: 1 }),
      /at least one role/,
    );
  });

  it('meanGapFor spreads the disruptions over the run', () => {
    assert.equal(meanGapFor({ wallMs: 23_000, disruptions: 22 }), 1000);
  });
});
