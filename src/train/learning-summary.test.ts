import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { learningSummary } from './learning-summary.ts';
import type { MetricsRecord } from './metrics.ts';

const record = (
  step: number,
  purpose: MetricsRecord['purpose'],
  metrics: Record<string, number>,
): MetricsRecord => ({
  format: 'anchorage.metrics/1',
  trainRunId: 'run-1',
  step,
  purpose,
  stage: 'main',
  at: '2026-12-06T00:00:00.000Z',
  metrics,
});

describe('learningSummary', () => {
  it('compares the first and last scored evaluations, largest criterion moves first', () => {
    const summary = learningSummary([
      record(6, 'eval', {
        'eval/reward/mean': 0.5,
        'eval/reward/criterion/a/mean': 0.5,
        'eval/reward/criterion/b/mean': 0.1,
      }),
      record(0, 'eval', {
        'eval/reward/mean': 0.4,
        'eval/reward/criterion/a/mean': 0.45,
        'eval/reward/criterion/b/mean': 0.6,
        'eval/reward/criterion/c/mean': 0.2,
      }),
      record(3, 'train', { 'reward/mean': 0.9 }),
      record(12, 'eval', {
        'eval/reward/mean': 0.65,
        'eval/reward/criterion/a/mean': 0.5,
        'eval/reward/criterion/b/mean': 0.9,
      }),
    ]);
    assert.ok(summary !== undefined);
    assert.deepEqual(summary.before, { step: 0, reward: 0.4 });
    assert.deepEqual(summary.after, { step: 12, reward: 0.65 });
    assert.ok(Math.abs(summary.delta - 0.25) < 1e-12);
    // c was not scored at the end: it is left out, not read as 0.
    assert.deepEqual(
      summary.criteria.map((c) => c.id),
      ['b', 'a'],
    );
  });

  it('needs two scored evaluations; one without a reward does not count as 0', () => {
    assert.equal(learningSummary([record(0, 'eval', { 'eval/reward/mean': 0.4 })]), undefined);
    assert.equal(
      learningSummary([
        record(0, 'eval', { 'eval/reward/mean': 0.4 }),
        record(6, 'eval', { 'eval/rollout/responses': 8 }),
      ]),
      undefined,
    );
  });
});
