import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChainLink } from '../../src/train/checkpoint-chain.ts';
import { compareRuns, type RunObservation } from './compare.ts';

/** A run of `steps` steps, one judge shard each, every commit once, its chain well formed. */
function observed(label: string, steps: number, wallMs: number): RunObservation {
  const chain: ChainLink[] = Array.from({ length: steps }, (_, i) => ({
    step: i + 1,
    address: `${label}-ckpt-${i + 1}`,
    parent: i === 0 ? null : `${label}-ckpt-${i}`,
    trainedFrom: i === 0 ? 'init' : `adapter-${i}`,
    adapter: `adapter-${i + 1}`,
    applied: true,
    optimizerSteps: i + 1,
    updateAttempt: 1,
  }));
  const once = (key: (s: number) => string) =>
    Object.fromEntries(Array.from({ length: steps }, (_, i) => [key(i + 1), 1]));
  return {
    label,
    dir: `/tmp/${label}`,
    trainRunId: 'chaos-1',
    totalSteps: steps,
    status: 'completed',
    completedSteps: steps,
    wallMs,
    chain,
    rollouts: chain.map((l) => ({ step: l.step, groups: [`g${l.step}a`, `g${l.step}b`], resumedGroups: 0 })),
    judge: { shards: steps, cacheHits: 0, cacheMisses: 8 * steps, requests: 8 * steps },
    judgeServerRequests: 8 * steps,
    commitsLogged: {
      rollouts: once((s) => `${s}`),
      judgements: once((s) => `${s}/0`),
      updates: once((s) => `${s}`),
    },
    activityRetries: {},
    workflowTaskTimeouts: 0,
    disruptions: [],
    unplannedExits: [],
  };
}

describe('compareRuns', () => {
  it('a disturbed run that recovered: nothing lost or doubled, the work read back counted, overhead per disruption', () => {
    const undisturbed = observed('u', 3, 10_000);
    const disturbed = observed('d', 3, 16_000);
    disturbed.rollouts[1]!.resumedGroups = 1;
    disturbed.chain[2]!.updateAttempt = 2;
    disturbed.activityRetries = { generateRollouts: 1, updatePolicy: 1 };
    disturbed.judge.cacheHits = 3;
    disturbed.judgeServerRequests = 25;
    disturbed.disruptions = [
      {
        index: 1,
        target: 'worker:rollout',
        delayMs: 1000,
        atMs: 1000,
        stepsDone: 1,
        exit: 'SIGKILL',
        recoveredMs: 2000,
      },
      {
        index: 2,
        target: 'server',
        delayMs: 2000,
        atMs: 5000,
        stepsDone: 2,
        exit: 'SIGKILL',
        recoveredMs: 4000,
      },
    ];
    const s = compareRuns({ undisturbed, disturbed, planned: 2 });
    assert.equal(s.guaranteesHeld, true);
    assert.deepEqual(s.disruptions, { planned: 2, done: 2, kills: 1, serverRestarts: 1, unplannedExits: 0 });
    assert.deepEqual([s.stepsLost, s.commitsNotOnce, s.updatesDoubled], [[], [], []]);
    assert.deepEqual(
      [s.recomputed.rolloutGroupsReadBack, s.recomputed.updatesRedone, s.recomputed.verdictsGradedAgain],
      [1, 1, 1],
    );
    assert.deepEqual(s.recomputed.judgeCacheHits, { undisturbed: 0, disturbed: 3 });
    assert.deepEqual(
      [s.adapters.finalEqual, s.adapters.firstDifferentStep, s.adapters.rolloutsFirstDifferentStep],
      [true, null, null],
    );
    assert.deepEqual(s.wall, {
      undisturbedMs: 10_000,
      disturbedMs: 16_000,
      overheadMs: 6000,
      perDisruptionMs: 3000,
      meanRecoveryMs: 3000,
    });
  });

  it('names a lost step, a commit made twice or never, and an update applied twice', () => {
    const undisturbed = observed('u', 3, 10_000);
    const disturbed = observed('d', 3, 12_000);
    disturbed.chain = [
      disturbed.chain[0]!,
      // Step 2 trained from step 2's own first result: applied twice.
      { ...disturbed.chain[1]!, trainedFrom: 'adapter-2-first', optimizerSteps: 3 },
    ];
    disturbed.commitsLogged.updates = { '1': 1, '2': 2 };
    delete disturbed.commitsLogged.judgements['3/0'];
    disturbed.status = 'failed';
    const s = compareRuns({ undisturbed, disturbed, planned: 0 });
    assert.equal(s.guaranteesHeld, false);
    assert.equal(s.completed.disturbed, false);
    assert.deepEqual(s.stepsLost, [3]);
    assert.deepEqual(s.commitsNotOnce, ['judgements 3/0: 0x', 'update 2: 2x', 'update 3: 0x']);
    assert.deepEqual(
      s.updatesDoubled.map((f) => `${f.step}:${f.kind}`),
      ['2:optimizer-steps', '2:trained-from'],
    );
    assert.equal(s.adapters.finalEqual, false);
    assert.equal(s.wall.perDisruptionMs, null);
  });

  it('names the first step whose rollouts or adapters differ', () => {
    const undisturbed = observed('u', 3, 1);
    const disturbed = observed('d', 3, 1);
    disturbed.rollouts[1]!.groups = ['g2a', 'other'];
    disturbed.chain[1]!.adapter = 'adapter-2-other';
    disturbed.chain[2]!.trainedFrom = 'adapter-2-other';
    disturbed.chain[2]!.adapter = 'adapter-3-other';
    const s = compareRuns({ undisturbed, disturbed, planned: 0 });
    assert.deepEqual([s.adapters.rolloutsFirstDifferentStep, s.adapters.firstDifferentStep], [2, 2]);
    assert.equal(s.adapters.finalEqual, false);
    assert.equal(s.guaranteesHeld, true, 'a different result is not a broken guarantee');
  });
});
