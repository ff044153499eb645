import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { paceRequest } from './pacing.ts';

test('requests are spaced 1/rate apart; an idle spell gives no burst', () => {
  let nextFreeMs = 0;
  const sent: number[] = [];
  // Four requests asked for at once, then one after a long pause.
  for (const nowMs of [1000, 1000, 1000, 1000, 5000]) {
    const paced = paceRequest({ nowMs, nextFreeMs, requestsPerSecond: 4 });
    nextFreeMs = paced.nextFreeMs;
    sent.push(nowMs + paced.waitMs);
  }
  assert.deepEqual(sent, [1000, 1250, 1500, 1750, 5000]);
});

test('no window of length T holds more than 1 + rate x T requests', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 60 }),
      fc.double({ min: 0.5, max: 50, noNaN: true }),
      (gaps, rate) => {
        let nowMs = 0;
        let nextFreeMs = 0;
        const sent: number[] = [];
        for (const gap of gaps) {
          nowMs += gap;
          const paced = paceRequest({ nowMs, nextFreeMs, requestsPerSecond: rate });
          nextFreeMs = paced.nextFreeMs;
          // Requests waiting together (concurrent slots) each hold their own moment.
          sent.push(nowMs + paced.waitMs);
        }
        for (let i = 1; i < sent.length; i++) {
          assert.ok(sent[i]! - sent[i - 1]! >= 1000 / rate - 1e-9);
        }
      },
    ),
  );
});
