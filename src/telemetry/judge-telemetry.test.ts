import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyJudgeStats } from '../rubric/judge/judge-credentials.ts';
import type { MeteredRubricJudge } from '../rubric/judge/types.ts';
import type { Verdict } from '../rubric/verdict.ts';
import { judgeWithTelemetry } from './judge-telemetry.ts';
import { type JudgeCounts, NO_TELEMETRY, type TrainingTelemetry } from './training-telemetry.ts';

const empty = emptyJudgeStats;

/** A judge whose calls wait for `release` and then add `add` to its counters (or throw). */
function fakeJudge() {
  const stats = empty();
  const pending: Array<() => void> = [];
  const judge: MeteredRubricJudge & { release(): void } = {
    async judge(request) {
      await new Promise<void>((resolve) => pending.push(resolve));
      if (request.response === 'boom') {
        stats.requests += 1;
        stats.retries += 1;
        throw new Error('judge server down');
      }
      stats.requests += 1;
      stats.cacheHits += 1;
      stats.cacheMisses += 1;
      stats.unscorable += request.response === 'bad' ? 1 : 0;
      return [] as Verdict[];
    },
    stats: () => ({ ...stats }),
    release: () => pending.shift()?.(),
  };
  return judge;
}

function recorder() {
  const calls: Array<{ ms: number; failed: boolean }> = [];
  const counts: JudgeCounts[] = [];
  const telemetry: TrainingTelemetry = {
    ...NO_TELEMETRY,
    judgeCall: (c) => calls.push(c),
    judgeCounts: (c) => counts.push(c),
  };
  const total = (k: keyof JudgeCounts) => counts.reduce((a, c) => a + c[k], 0);
  return { telemetry, calls, total };
}

const request = (response: string) => ({ rubricId: 'r', prompt: 'p', response, criteria: [] });

test('each call reports its latency; calls in flight together count every increment once', async () => {
  const inner = fakeJudge();
  const r = recorder();
  const judge = judgeWithTelemetry(inner, r.telemetry);
  const a = judge.judge(request('ok'));
  const b = judge.judge(request('bad'));
  const c = judge.judge(request('boom'));
  await new Promise((resolve) => setImmediate(resolve));
  inner.release();
  inner.release();
  inner.release();
  await Promise.all([a, b]);
  await assert.rejects(c, /judge server down/);
  assert.equal(r.calls.length, 3);
  assert.deepEqual(
    r.calls.map((x) => x.failed),
    [false, false, true],
  );
  assert.ok(r.calls.every((x) => x.ms >= 0));
  assert.equal(r.total('requests'), 3);
  assert.equal(r.total('cacheHits'), 2);
  assert.equal(r.total('cacheMisses'), 2);
  assert.equal(r.total('unscorable'), 1);
  assert.equal(r.total('retries'), 1);
  assert.deepEqual(judge.stats(), inner.stats(), 'the stats are the judge’s own');
});

test('counters the judge had before it was wrapped are not reported', async () => {
  const inner = fakeJudge();
  const first = inner.judge(request('ok'));
  inner.release();
  await first;
  const r = recorder();
  const judge = judgeWithTelemetry(inner, r.telemetry);
  const second = judge.judge(request('ok'));
  await new Promise((resolve) => setImmediate(resolve));
  inner.release();
  await second;
  assert.equal(r.total('requests'), 1);
});
