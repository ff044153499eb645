import assert from 'node:assert/strict';
import { test } from 'node:test';
import { murmur3Words, uniformAt } from './prng.ts';

test('murmur3Words matches MurmurHash3_x86_32 reference values', () => {
  // Reference: MurmurHash3_x86_32 of the little-endian bytes of the words.
  // Bytes 00 00 00 00 with seed 0 -> 0x2362f9de; empty input with seed 1 -> 0x514e28b7.
  assert.equal(murmur3Words([0], 0), 0x2362f9de);
  assert.equal(murmur3Words([], 1), 0x514e28b7);
  // "abcd" (0x64636261 little-endian) with seed 0x9747b28c -> 0xf0478627.
  assert.equal(murmur3Words([0x64636261], 0x9747b28c), 0xf0478627);
});

test('uniformAt is a pure function of (seed, stream, counter) in [0, 1)', () => {
  const a = uniformAt({ seed: 42, stream: 3, counter: 9 });
  assert.equal(uniformAt({ seed: 42, stream: 3, counter: 9 }), a);
  assert.notEqual(uniformAt({ seed: 43, stream: 3, counter: 9 }), a);
  assert.notEqual(uniformAt({ seed: 42, stream: 4, counter: 9 }), a);
  assert.notEqual(uniformAt({ seed: 42, stream: 3, counter: 10 }), a);
  // Large seeds use their high word too.
  assert.notEqual(
    uniformAt({ seed: 2 ** 40 + 42, stream: 3, counter: 9 }),
    uniformAt({ seed: 42, stream: 3, counter: 9 }),
  );
  assert.throws(() => uniformAt({ seed: -1, stream: 0, counter: 0 }), /seed/);
});

test('uniformAt draws look uniform and independent across streams and counters', () => {
  const bins = new Array(20).fill(0);
  const n = 100_000;
  let sum = 0;
  let lagProduct = 0;
  let prev = 0.5;
  for (let i = 0; i < n; i++) {
    const u = uniformAt({ seed: 7, stream: i % 97, counter: Math.floor(i / 97) });
    assert.ok(u >= 0 && u < 1);
    bins[Math.floor(u * 20)]++;
    sum += u;
    lagProduct += (u - 0.5) * (prev - 0.5);
    prev = u;
  }
  const expected = n / 20;
  const chi2 = bins.reduce((a, b) => a + (b - expected) ** 2 / expected, 0);
  // 19 degrees of freedom: chi2 > 43.8 has probability 0.001 under uniformity.
  assert.ok(chi2 < 43.8, `chi-square ${chi2.toFixed(1)}`);
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  // Lag-1 correlation of a uniform sequence has standard deviation 1/sqrt(n) ~ 0.003.
  assert.ok(Math.abs(lagProduct / n / (1 / 12)) < 0.015, 'adjacent draws are correlated');
});
