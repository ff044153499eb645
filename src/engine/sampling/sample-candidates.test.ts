import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../../util/errors.ts';
import { sampleCandidates } from './sample-candidates.ts';
import { sampleToken } from './sample-token.ts';

/** The graph's TopK over one row, in JS: values largest first, ties by lower id. */
function topK(logits: Float32Array, k: number): { values: Float32Array; ids: BigInt64Array } {
  const order = Array.from(logits, (_, i) => i)
    .sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b)
    .slice(0, k);
  return {
    values: Float32Array.from(order, (i) => logits[i] as number),
    ids: BigInt64Array.from(order, (i) => BigInt(i)),
  };
}

function logSumExp(logits: Float32Array): number {
  const max = Math.max(...logits);
  return max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
}

/**
 * A row of float32 logits on a grid of 1/64 in [-12, 12], some repeated (ties the ranking must
 * break by id, also at the k-th place) and some at -1000 (weights that underflow to 0 at low
 * temperatures). The grid keeps distinct logits apart: exp cannot round two of them to one weight,
 * the case where sampleToken ranks by weight and id but the graph's TopK by logit.
 */
const logitsRow = fc
  .array(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -768, max: 768 }) }, fc.constant(-64_000)), {
    minLength: 2,
    maxLength: 120,
  })
  .chain((steps) =>
    fc
      .array(fc.tuple(fc.nat({ max: steps.length - 1 }), fc.nat({ max: steps.length - 1 })), {
        maxLength: 8,
      })
      .map((copies) => {
        const row = Float32Array.from(steps, (s) => s / 64);
        for (const [from, to] of copies) row[to] = row[from] as number;
        return row;
      }),
  );

const U_GRID = 257;

/** Many u in [0, 1): a grid (every candidate's interval is hit when it is wider than 1/U_GRID) and its ends. */
const uniforms = [0, ...Array.from({ length: U_GRID }, (_, j) => (j + 0.5) / U_GRID), 1 - 2 ** -53];

test('sampleCandidates draws what sampleToken draws with topK = k on the full row (property)', () => {
  fc.assert(
    fc.property(
      logitsRow,
      fc.integer({ min: 1, max: 40 }),
      fc.constantFrom(0.05, 0.3, 0.8, 1, 1.7),
      fc.constantFrom(1, 0.95, 0.7, 0.3, 0.01),
      (logits, kWanted, temperature, topP) => {
        // k below the vocabulary: sampleToken applies no top-k filter to a k that keeps every id.
        const k = Math.min(kWanted, logits.length - 1);
        const { values, ids } = topK(logits, k);
        const lse = logSumExp(logits);
        for (const u of uniforms) {
          const expected = sampleToken({ logits, temperature, topP, topK: k, u, logsumexp: lse });
          const got = sampleCandidates({ values, ids, temperature, topP, u, logsumexp: lse });
          const what = `k ${k} τ ${temperature} topP ${topP} u ${u}`;
          assert.equal(got.token, expected.token, what);
          assert.equal(got.logprob, expected.logprob, what);
          assert.ok(Math.abs(got.samplingLogprob - expected.samplingLogprob) < 1e-9, what);
        }
      },
    ),
    { numRuns: 400, seed: 17 },
  );
});

test('ties at the k-th place keep the lower id, as sampleToken does', () => {
  // Ids 1, 3 and 4 tie for second place; k = 3 keeps ids 0, 1 and 3.
  const logits = Float32Array.from([3, 1, -2, 1, 1, 0.5]);
  const { values, ids } = topK(logits, 3);
  assert.deepEqual([...ids], [0n, 1n, 3n]);
  const lse = logSumExp(logits);
  const seen = new Set<number>();
  for (const u of uniforms) {
    const got = sampleCandidates({ values, ids, temperature: 1, topP: 1, u, logsumexp: lse });
    const expected = sampleToken({ logits, temperature: 1, topP: 1, topK: 3, u, logsumexp: lse });
    assert.equal(got.token, expected.token);
    seen.add(got.token);
  }
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    [0, 1, 3],
  );
});

test('the log-probs: raw from logsumexp, sampled from the kept candidates renormalised', () => {
  const logits = Float32Array.from([2, 0, 1, -1]);
  const { values, ids } = topK(logits, 3); // ids 0, 2, 1
  const lse = logSumExp(logits);
  const temperature = 0.5;
  const w = [2, 1, 0].map((l) => Math.exp((l - 2) / temperature));
  const mass = w[0]! + w[1]! + w[2]!;
  // u just below w0 / mass takes id 0, just above takes id 2.
  const cut = w[0]! / mass;
  const first = sampleCandidates({ values, ids, temperature, topP: 1, u: cut - 1e-9, logsumexp: lse });
  const second = sampleCandidates({ values, ids, temperature, topP: 1, u: cut + 1e-9, logsumexp: lse });
  assert.equal(first.token, 0);
  assert.equal(second.token, 2);
  assert.ok(Math.abs(first.logprob - (2 - lse)) < 1e-12);
  assert.ok(Math.abs(second.logprob - (1 - lse)) < 1e-12);
  assert.ok(Math.abs(first.samplingLogprob - Math.log(w[0]! / mass)) < 1e-12);
  assert.ok(Math.abs(second.samplingLogprob - Math.log(w[1]! / mass)) < 1e-12);
  // topP = 0.5 keeps id 0 alone (w0 / mass > 0.5): every u draws it, with sampled log-prob 0.
  assert.ok(cut > 0.5);
  for (const u of [0, 0.5, 0.99]) {
    const draw = sampleCandidates({ values, ids, temperature, topP: 0.5, u, logsumexp: lse });
    assert.equal(draw.token, 0);
    assert.equal(draw.samplingLogprob, 0);
  }
});

test('no candidates, mismatched ids or a zero temperature are refused', () => {
  const common = { topP: 1, u: 0.5, logsumexp: 0 };
  assert.throws(
    () => sampleCandidates({ values: new Float32Array(0), ids: [], temperature: 1, ...common }),
    ValidationError,
  );
  assert.throws(
    () => sampleCandidates({ values: Float32Array.of(1, 0), ids: [0], temperature: 1, ...common }),
    /2 values and 1 ids/,
  );
  assert.throws(
    () => sampleCandidates({ values: Float32Array.of(1), ids: [0], temperature: 0, ...common }),
    /temperature > 0/,
  );
});
