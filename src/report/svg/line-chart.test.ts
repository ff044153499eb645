import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contiguousRuns, lineChart } from './line-chart.ts';

const count = (svg: string, pattern: RegExp) => [...svg.matchAll(pattern)].length;

test('contiguousRuns splits at missing values', () => {
  const runs = contiguousRuns([1, null, 2, 3, null, null, 4], (v) => v !== null);
  assert.deepEqual(runs, [[1], [2, 3], [4]]);
});

test('a missing value breaks the line and draws no point: never a 0', () => {
  const svg = lineChart({
    id: 'kl',
    label: 'KL',
    xLabel: 'step',
    xDomain: [1, 5],
    series: [
      {
        name: 'kl',
        points: [
          { x: 1, y: 0.1 },
          { x: 2, y: 0.2 },
          { x: 3, y: null },
          { x: 4, y: 0.3 },
          { x: 5, y: 0.4 },
        ],
      },
    ],
    marks: [{ x: 3, kind: 'failed', label: 'failed', detail: 'step 3 failed: boom' }],
  });
  assert.match(svg, /^<svg [^>]*data-chart="kl"/);
  assert.equal(count(svg, /data-point=""/g), 4);
  assert.deepEqual(
    [...svg.matchAll(/data-x="(\d+)" data-y="([^"]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]),
    [
      [1, 0.1],
      [2, 0.2],
      [4, 0.3],
      [5, 0.4],
    ],
  );
  assert.equal(count(svg, /<path class="line"/g), 2);
  assert.match(svg, /data-mark="failed" data-x="3"><title>step 3 failed: boom<\/title>/);
});

test('a lone value is a point; spreads draw a band and whiskers; names are escaped', () => {
  const svg = lineChart({
    id: 'r',
    label: 'reward',
    xLabel: 'step',
    xDomain: [0, 2],
    series: [
      {
        name: 'a<b',
        points: [
          { x: 0, y: 0.5 },
          { x: 1, y: null },
          { x: 2, y: 0.7 },
        ],
      },
    ],
    band: {
      name: 'std',
      points: [
        { x: 0, low: 0.4, high: 0.6 },
        { x: 1, low: null, high: null },
        { x: 2, low: 0.6, high: 0.8 },
      ],
    },
    whiskers: {
      name: 'range',
      points: [
        { x: 0, low: 0, high: 1 },
        { x: 2, low: 0.5, high: 0.9 },
      ],
    },
    yDomain: [0, 1],
  });
  assert.equal(count(svg, /<path class="line"/g), 0);
  assert.equal(count(svg, /<circle class="point"/g), 2);
  assert.equal(count(svg, /<polygon class="band"/g), 0, 'no band over a single point');
  assert.equal(count(svg, /<path class="whisker"/g), 2);
  assert.match(svg, /data-series="a&lt;b"/);
  assert.doesNotMatch(svg, /a<b/);
});
