import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NonFiniteError } from '../../rl/optim/non-finite.ts';
import { sampleToken, topKIndices } from './sample-token.ts';

/**
 * Reference: the filtered distribution written the plain way (sort everything, cut, renormalise),
 * as a full probability vector.
 */
function referenceDistribution(
  logits: number[],
  options: { temperature: number; topP: number; topK: number },
) {
  const max = Math.max(...logits);
  const p = logits.map((l) => Math.exp((l - max) / options.temperature));
  const z = p.reduce((a, b) => a + b, 0);
  const probs = p.map((x) => x / z);
  // Ranked by unnormalised weight: dividing by z can round two near-equal weights to a tie.
  let order = p.map((_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
  if (options.topK > 0) order = order.slice(0, options.topK);
  if (options.topP < 1) {
    const mass = order.reduce((a, i) => a + probs[i]!, 0);
    let cum = 0;
    const kept: number[] = [];
    for (const i of order) {
      kept.push(i);
      cum += probs[i]!;
      if (cum >= options.topP * mass) break;
    }
    order = kept;
  }
  const keptMass = order.reduce((a, i) => a + probs[i]!, 0);
  const out = new Array(logits.length).fill(0);
  for (const i of order) out[i] = probs[i]! / keptMass;
  return out;
}

function logSoftmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
  return logits.map((l) => l - lse);
}

test('greedy decoding takes the argmax, lowest id on ties, with samplingLogprob 0', () => {
  const logits = Float32Array.from([0.5, 2, -1, 2, 1]);
  for (const u of [0, 0.3, 0.999]) {
    const draw = sampleToken({ logits, temperature: 0, topP: 1, topK: 0, u });
    assert.equal(draw.token, 1);
    assert.equal(draw.samplingLogprob, 0);
    assert.ok(Math.abs(draw.logprob - logSoftmax([...logits])[1]!) < 1e-12);
  }
});

test('each draw follows the filtered distribution: frequencies over a u grid and samplingLogprob', () => {
  const logits = [2.1, -0.3, 1.7, 0.2, 1.7, -2.5, 0.9, 3.0, -1.1, 0.0];
  const cases = [
    { temperature: 1, topP: 1, topK: 0 },
    { temperature: 0.7, topP: 1, topK: 0 },
    { temperature: 1.3, topP: 0.8, topK: 0 },
    { temperature: 1, topP: 1, topK: 3 },
    { temperature: 0.9, topP: 0.6, topK: 5 },
  ];
  const n = 20_000;
  for (const options of cases) {
    const expected = referenceDistribution(logits, options);
    const counts = new Array(logits.length).fill(0);
    for (let j = 0; j < n; j++) {
      const draw = sampleToken({ logits: Float64Array.from(logits), ...options, u: (j + 0.5) / n });
      counts[draw.token]++;
      assert.ok(Math.abs(draw.samplingLogprob - Math.log(expected[draw.token])) < 1e-12);
      assert.ok(Math.abs(draw.logprob - logSoftmax(logits)[draw.token]!) < 1e-12);
    }
    // A u grid of n points hits each token with frequency within 1/n of its probability.
    counts.forEach((c, i) => {
      assert.ok(
        Math.abs(c / n - expected[i]) <= 1.5 / n,
        `${JSON.stringify(options)} token ${i}: ${c / n} vs ${expected[i]}`,
      );
    });
  }
});

test('random logits: top-k and top-p draws stay inside the reference support (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.float({ min: -8, max: 8, noNaN: true }), { minLength: 2, maxLength: 300 }),
      fc.double({ min: 0.05, max: 2, noNaN: true }),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.nat({ max: 20 }),
      fc.double({ min: 0, max: 0.999999, noNaN: true }),
      (values, temperature, topP, topK, u) => {
        const logits = Float32Array.from(values);
        const options = { temperature, topP, topK };
        const expected = referenceDistribution([...logits], options);
        const draw = sampleToken({ logits, ...options, u });
        assert.ok(expected[draw.token] > 0, `token ${draw.token} is outside the support`);
        assert.ok(Math.abs(draw.samplingLogprob - Math.log(expected[draw.token])) < 1e-9);
      },
    ),
    { numRuns: 300, seed: 11 },
  );
});

test('a logsumexp given by the model replaces the pass over the vocabulary; draws are unchanged', () => {
  const logits = Float32Array.from({ length: 500 }, (_, i) => Math.sin(i * 1.7) * 4);
  const lse = Math.log([...logits].reduce((a, l) => a + Math.exp(l), 0));
  for (const options of [
    { temperature: 0, topP: 1, topK: 0 },
    { temperature: 0.7, topP: 0.95, topK: 40 },
    { temperature: 1.2, topP: 0.9, topK: 0 },
  ]) {
    for (const u of [0.01, 0.5, 0.97]) {
      const plain = sampleToken({ logits, ...options, u });
      const given = sampleToken({ logits, ...options, u, logsumexp: lse + 0.25 });
      assert.equal(given.token, plain.token);
      assert.equal(given.samplingLogprob, plain.samplingLogprob);
      // The given value is what the log-prob uses (offset here to make that visible).
      assert.ok(Math.abs(given.logprob - (plain.logprob - 0.25)) < 1e-9);
    }
  }
});

test('topKIndices ranks by weight, then id', () => {
  const w = Float64Array.from([0.1, 0.5, 0.5, 0.05, 0.9, 0.5]);
  assert.deepEqual(topKIndices(w, 3), [4, 1, 2]);
  assert.deepEqual(topKIndices(w, 5), [4, 1, 2, 5, 0]);
});

test('a vocabulary-sized row: top-p candidates are exact even when the nucleus is wide', () => {
  // Nearly flat logits: the nucleus holds most of the vocabulary, so the threshold shortcut must
  // fall back to wider candidate sets.
  const vocab = 5000;
  const logits = Float32Array.from({ length: vocab }, (_, i) => Math.sin(i * 1.7) * 0.01);
  const expected = referenceDistribution([...logits], { temperature: 1, topP: 0.95, topK: 0 });
  for (const u of [0.01, 0.5, 0.97]) {
    const draw = sampleToken({ logits, temperature: 1, topP: 0.95, topK: 0, u });
    assert.ok(expected[draw.token] > 0);
    assert.ok(Math.abs(draw.samplingLogprob - Math.log(expected[draw.token])) < 1e-9);
  }
});

test('NaN or all-infinite logits are refused', () => {
  assert.throws(
    () =>
      sampleToken({
        logits: Float32Array.from([0, Number.NaN, 1]),
        temperature: 1,
        topP: 1,
        topK: 0,
        u: 0.5,
      }),
    NonFiniteError,
  );
  assert.throws(
    () =>
      sampleToken({
        logits: Float32Array.from([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]),
        temperature: 1,
        topP: 1,
        topK: 0,
        u: 0.5,
      }),
    NonFiniteError,
  );
});
