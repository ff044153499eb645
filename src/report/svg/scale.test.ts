import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatTick, formatValue, linearScale, niceStep, niceTicks, valueExtent, widen } from './scale.ts';

test('valueExtent skips missing and non-finite values', () => {
  assert.deepEqual(valueExtent([3, null, -1, undefined, Number.NaN, 2]), [-1, 3]);
  assert.equal(valueExtent([null, undefined]), undefined);
});

test('widen gives a single value some room; a real range is kept', () => {
  assert.deepEqual(widen([2, 5]), [2, 5]);
  assert.deepEqual(widen([0, 0]), [-1, 1]);
  assert.deepEqual(widen([50, 50]), [45, 55]);
});

test('linearScale maps the ends of the domain to the ends of the range (reversed too)', () => {
  const s = linearScale({ domain: [0, 10], range: [200, 0] });
  assert.equal(s(0), 200);
  assert.equal(s(10), 0);
  assert.equal(s(5), 100);
});

test('nice steps are 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceStep(1, 5), 0.2);
  assert.equal(niceStep(100, 5), 20);
  assert.equal(niceStep(0.003, 5), 0.001);
  assert.equal(niceStep(7, 5), 2);
});

test('niceTicks cover the domain with clean values', () => {
  assert.deepEqual(niceTicks({ domain: [0.13, 0.87] }), {
    ticks: [0, 0.2, 0.4, 0.6, 0.8, 1],
    domain: [0, 1],
    step: 0.2,
  });
  const x = niceTicks({ domain: [0.5, 12.5], count: 8, integer: true, extend: false });
  assert.deepEqual(x.ticks, [2, 4, 6, 8, 10, 12]);
  assert.deepEqual(x.domain, [0.5, 12.5]);
});

test('property: the extended domain contains the data and every tick lies in it', () => {
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      (lo, span) => {
        const { ticks, domain } = niceTicks({ domain: [lo, lo + span] });
        assert.ok(domain[0] <= lo && domain[1] >= lo + span, `${domain} covers ${lo}..${lo + span}`);
        assert.ok(ticks.length >= 2 && ticks.length <= 12, `${ticks.length} ticks`);
        for (const t of ticks) assert.ok(t >= domain[0] && t <= domain[1]);
      },
    ),
  );
});

test('tick and value labels', () => {
  assert.equal(formatTick(0.4, 0.2), '0.4');
  assert.equal(formatTick(20, 5), '20');
  assert.equal(formatTick(0, 0.2), '0');
  assert.equal(formatTick(-6e-10, 2e-10), '-6.0e-10');
  assert.equal(formatValue(0.46111111), '0.461');
  assert.equal(formatValue(12), '12');
  assert.equal(formatValue(3e-5), '3.00e-5');
});
