import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passRateColor, passRateStops, seriesColor } from './colors.ts';

test('the pass-rate scale runs red to yellow to green and clamps outside [0, 1]', () => {
  const stops = passRateStops();
  assert.equal(passRateColor(0), stops[0]!.color);
  assert.equal(passRateColor(0.5), stops[1]!.color);
  assert.equal(passRateColor(1), stops[2]!.color);
  assert.equal(passRateColor(-3), passRateColor(0));
  assert.equal(passRateColor(7), passRateColor(1));
  assert.match(passRateColor(0.25), /^#[0-9a-f]{6}$/);
});

test('series colours repeat past the palette', () => {
  assert.equal(seriesColor(0), seriesColor(8));
  assert.notEqual(seriesColor(0), seriesColor(1));
});
