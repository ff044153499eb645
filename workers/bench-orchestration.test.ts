import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchOrchestration, overheadTrend, type StepTiming } from './bench-orchestration.ts';

const step = (n: number, overheadMs: number): StepTiming => ({
  step: n,
  wallMs: 1000 + overheadMs,
  insideMs: 1000,
  overheadMs,
  activityMs: {},
  selfReportedMs: {},
});

test('the overhead trend compares the medians of the first and last quarter, leaving out the warm-up step', () => {
  // Step 1 (warm-up) is slow and ignored; 8 warm steps: quarters of 2.
  const flat = [step(1, 900), ...[100, 110, 90, 105, 95, 100, 100, 110].map((ms, i) => step(i + 2, ms))];
  assert.deepEqual(overheadTrend(flat), { firstQuarterMs: 105, lastQuarterMs: 105, ratio: 1 });

  const growing = [step(1, 900), ...[100, 100, 150, 200, 250, 300, 400, 400].map((ms, i) => step(i + 2, ms))];
  const trend = overheadTrend(growing);
  assert.equal(trend.firstQuarterMs, 100);
  assert.equal(trend.lastQuarterMs, 400);
  assert.equal(trend.ratio, 4);

  // Too few steps for quarters: not a number, never a made-up 1.
  assert.ok(Number.isNaN(overheadTrend([step(1, 5), step(2, 5), step(3, 5)]).ratio));
});

test('the orchestration bench times every step of a tiny-model run on a real dev server', async () => {
  const lines: string[] = [];
  const figures = await benchOrchestration({
    steps: 6,
    smollm2Steps: 0,
    quickstart: 'unused',
    progress: (line) => lines.push(line),
  });
  assert.equal(figures.smollm2, undefined);
  assert.equal(figures.overheadShareOfSmollm2Step, undefined);
  assert.deepEqual(
    figures.tiny.steps.map((s) => s.step),
    [1, 2, 3, 4, 5, 6],
  );
  for (const s of figures.tiny.steps) {
    assert.ok(s.insideMs > 0, `step ${s.step}: time inside activities`);
    assert.ok(s.overheadMs > 0 && s.overheadMs < s.wallMs, `step ${s.step}: overhead within the wall time`);
    assert.ok(s.activityMs.generateRollouts! > 0, `step ${s.step}: the rollout activity timed`);
    assert.ok(s.activityMs.judgeRollouts! > 0, `step ${s.step}: the judge activity timed`);
  }
  assert.ok(Number.isFinite(figures.tiny.trend.ratio) && figures.tiny.trend.ratio > 0);
  assert.match(lines.join('\n'), /tiny: 6 steps/);
});
