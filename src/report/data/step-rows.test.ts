import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsRecord } from '../../train/metrics.ts';
import { buildEvalRows, buildStepRows, stepsFromRefs } from './step-rows.ts';

const record = (
  step: number,
  purpose: 'train' | 'eval',
  metrics: Record<string, number> = {},
): MetricsRecord => ({
  format: 'anchorage.metrics/1',
  trainRunId: 'r',
  step,
  purpose,
  stage: 'main',
  at: 't',
  metrics,
});

test('every planned step gets a row: done, failed, running, incomplete or not run', () => {
  const rows = buildStepRows({
    records: [record(1, 'train', { 'reward/mean': 0.5 }), record(2, 'eval')],
    started: new Set([1, 2, 3]),
    totalSteps: 5,
    live: {
      status: 'failed',
      totalSteps: 5,
      completedSteps: 1,
      currentStep: null,
      failure: { step: 2, type: 'NonFiniteError', message: 'loss is NaN' },
    },
  });
  assert.deepEqual(
    rows.map((r) => [r.step, r.state.kind]),
    [
      [1, 'done'],
      [2, 'failed'],
      [3, 'incomplete'],
      [4, 'not-run'],
      [5, 'not-run'],
    ],
  );
  assert.deepEqual(rows[1]!.metrics, {}, 'a failed step has no metrics, not zeros');
});

test('the step in flight of a running run is running; steps past the plan still show', () => {
  const rows = buildStepRows({
    records: [],
    started: new Set([7]),
    totalSteps: null,
    live: { status: 'running', totalSteps: null, completedSteps: 5, currentStep: 6, failure: null },
  });
  assert.equal(rows.length, 7);
  assert.equal(rows[5]!.state.kind, 'running');
  assert.equal(rows[6]!.state.kind, 'incomplete');
});

test('evaluation rows drop the eval/ prefix and keep unrecorded evaluations as incomplete', () => {
  const rows = buildEvalRows({
    records: [
      record(4, 'eval', { 'eval/reward/mean': 0.7, 'eval/ifeval/prompt_loose': 0.3 }),
      record(0, 'eval'),
    ],
    started: new Set([0, 4, 8]),
  });
  assert.deepEqual(
    rows.map((r) => [r.step, r.state, r.metrics]),
    [
      [0, 'done', {}],
      [4, 'done', { 'reward/mean': 0.7, 'ifeval/prompt_loose': 0.3 }],
      [8, 'incomplete', {}],
    ],
  );
});

test("an evaluation's failures keep their message, with the eval/ prefix taken off what failed", () => {
  const rows = buildEvalRows({
    records: [
      {
        ...record(2, 'eval', { 'eval/reward/mean': 0.5 }),
        failures: [{ what: 'eval/ifeval', type: 'Error', message: 'boom' }],
      },
    ],
    started: new Set(),
  });
  assert.deepEqual(rows[0]!.failures, [{ what: 'ifeval', type: 'Error', message: 'boom' }]);
});

test('stepsFromRefs reads step numbers under one folder only', () => {
  const names = [
    'runs/r/steps/step-3/rollouts',
    'runs/r/steps/step-3/judgements/shard-0-of-1',
    'runs/r/steps/step-12/rewards',
    'runs/r/evals/step-4/rollouts',
    'runs/r/steps/notastep/x',
  ];
  assert.deepEqual([...stepsFromRefs({ names, prefix: 'runs/r/steps/' })], [3, 12]);
});
