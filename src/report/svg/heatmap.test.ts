import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passRateColor } from './colors.ts';
import { heatmap } from './heatmap.ts';

test('a cell per value; blank where a row has none; a marked column is hatched, not filled', () => {
  const svg = heatmap({
    id: 'criteria',
    label: 'pass rates',
    xLabel: 'step',
    columns: [
      { x: 1 },
      { x: 2, mark: { x: 2, kind: 'failed', label: 'failed', detail: 'step 2 failed' } },
      { x: 3 },
    ],
    rows: [
      {
        id: 'a',
        values: new Map([
          [1, 0],
          [2, 1],
          [3, 1],
        ]),
      },
      { id: 'b', values: new Map([[3, 0.5]]) },
    ],
  });
  const cells = [
    ...svg.matchAll(/data-row="([^"]+)" data-x="(\d+)" data-value="([^"]+)"[^>]*fill="([^"]+)"/g),
  ].map((m) => [m[1], Number(m[2]), Number(m[3]), m[4]]);
  assert.deepEqual(cells, [
    ['a', 1, 0, passRateColor(0)],
    ['a', 3, 1, passRateColor(1)],
    ['b', 3, 0.5, passRateColor(0.5)],
  ]);
  assert.match(svg, /data-mark="failed" data-x="2"/);
  assert.match(svg, /fill="url\(#criteria-hatch\)"/);
});
