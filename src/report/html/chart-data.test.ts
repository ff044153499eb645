import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StepRow } from '../data/report-data.ts';
import {
  criterionRows,
  groupByMagnitude,
  notApplicableMarks,
  noUpdateMarks,
  stdBand,
  stepMarks,
} from './chart-data.ts';

const done = (step: number, metrics: Record<string, number>): StepRow => ({
  step,
  state: { kind: 'done' },
  stage: 'main',
  at: 't',
  metrics,
});

test('marks: failed, incomplete and running steps; n/a where a recorded step lacks the value', () => {
  const rows: StepRow[] = [
    done(1, { 'reward/mean': 0.5, 'optim/applied': 0 }),
    done(2, { 'loss/total': 1 }),
    { step: 3, state: { kind: 'failed', type: 'E', message: 'm' }, stage: null, at: null, metrics: {} },
    { step: 4, state: { kind: 'incomplete' }, stage: null, at: null, metrics: {} },
    { step: 5, state: { kind: 'not-run' }, stage: null, at: null, metrics: {} },
  ];
  assert.deepEqual(
    stepMarks(rows).map((m) => [m.x, m.kind, m.label]),
    [
      [3, 'failed', 'failed'],
      [4, 'incomplete', 'no record'],
    ],
  );
  assert.deepEqual(
    notApplicableMarks({ rows, key: 'reward/mean', detail: (s) => `${s}` }).map((m) => m.x),
    [2],
  );
  assert.deepEqual(
    noUpdateMarks(rows).map((m) => [m.x, m.label]),
    [[1, 'no update']],
  );
});

test('the std band is missing where the mean or the std is', () => {
  const band = stdBand(
    [done(1, { 'reward/mean': 0.5, 'reward/std': 0.1 }), done(2, { 'reward/mean': 0.5 })],
    '',
  );
  assert.deepEqual(band.points, [
    { x: 1, low: 0.4, high: 0.6 },
    { x: 2, low: null, high: null },
  ]);
});

test('criterion rows by id, values per step', () => {
  const rows = criterionRows(
    [
      done(1, { 'reward/criterion/b.x/mean': 1, 'reward/criterion/a/mean': 0, 'reward/mean': 0.5 }),
      done(2, { 'reward/criterion/a/mean': 0.5 }),
    ],
    '',
  );
  assert.deepEqual(
    rows.map((r) => [r.id, [...r.values]]),
    [
      [
        'a',
        [
          [1, 0],
          [2, 0.5],
        ],
      ],
      ['b.x', [[1, 1]]],
    ],
  );
});

test('metrics share an axis by magnitude; fractions together on a 0..1 axis', () => {
  const rows = [
    done(0, { 'g/frac': 0.9, 'g/len': 45, 'g/tokens': 400, 'g/count': 8, 'g/other_frac': 0 }),
    done(2, { 'g/frac': 0.5, 'g/len': 50, 'g/tokens': 380, 'g/count': 8 }),
  ];
  assert.deepEqual(groupByMagnitude(['g/count', 'g/frac', 'g/len', 'g/other_frac', 'g/tokens'], rows), [
    { keys: ['g/frac', 'g/other_frac'], unit: true },
    { keys: ['g/count', 'g/len'], unit: false },
    { keys: ['g/tokens'], unit: false },
  ]);
});
