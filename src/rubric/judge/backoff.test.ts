import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { backoffDelay, parseRetryAfter } from './backoff.ts';

describe('backoffDelay', () => {
  const base = { initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0.5 };
  test('grows exponentially, caps at maxMs, and jitter spans the random fraction', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((retry) => backoffDelay({ ...base, retry, random: 0.999999 })),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(backoffDelay({ ...base, retry: 2, random: 0 }), 200);
    assert.equal(backoffDelay({ ...base, jitter: 0, retry: 2, random: 0.7 }), 400);
    assert.equal(backoffDelay({ ...base, jitter: 1, retry: 2, random: 0 }), 0);
  });

  test('always within [(1 - jitter) * d, d] for d = min(maxMs, initial * multiplier^retry)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (retry, random, jitter) => {
          const d = Math.min(base.maxMs, base.initialMs * base.multiplier ** retry);
          const got = backoffDelay({ ...base, jitter, retry, random });
          return got >= Math.floor((1 - jitter) * d) && got <= d;
        },
      ),
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test('delay-seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(' 0.5 ', now), 500);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past means now');
  });

  test('absent or unreadable is undefined', () => {
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
  });
});
