import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../util/errors.ts';
import { chunkTokenIds, negativeLogLikelihood, pooledPerplexity } from './perplexity-math.ts';

test('chunks overlap by one context token, so every token but the first is scored exactly once', () => {
  assert.deepEqual(chunkTokenIds({ ids: [1, 2, 3, 4, 5, 6, 7], size: 3 }), [
    [1, 2, 3],
    [3, 4, 5],
    [5, 6, 7],
  ]);
  assert.deepEqual(chunkTokenIds({ ids: [1, 2, 3, 4], size: 3 }), [
    [1, 2, 3],
    [3, 4],
  ]);
  assert.deepEqual(chunkTokenIds({ ids: [1, 2], size: 512 }), [[1, 2]]);
  assert.deepEqual(chunkTokenIds({ ids: [1], size: 8 }), []);
  for (let n = 0; n < 40; n++) {
    for (const size of [2, 3, 5, 16]) {
      const ids = Array.from({ length: n }, (_, i) => i);
      const chunks = chunkTokenIds({ ids, size });
      assert.ok(chunks.every((c) => c.length >= 2 && c.length <= size));
      // The scored tokens (all but each chunk's first), in order, are the text's tokens but its first.
      assert.deepEqual(
        chunks.flatMap((c) => c.slice(1)),
        ids.slice(1),
        `n ${n}, size ${size}`,
      );
      chunks.slice(1).forEach((c, i) => {
        assert.equal(c[0], chunks[i]!.at(-1));
      });
    }
  }
  assert.throws(() => chunkTokenIds({ ids: [1, 2, 3], size: 1 }), ValidationError);
});

test('pooled perplexity: exp of total nats over total tokens', () => {
  assert.equal(negativeLogLikelihood([Math.log(0.5), Math.log(0.25)]), Math.log(8));
  // Chunk A: 2 tokens at p = 1/2 and 1/4 (ln 8 nats); chunk B: 1 token at p = 1/8 (ln 8 nats).
  const pooled = pooledPerplexity([
    { tokens: 2, nats: Math.log(8) },
    { tokens: 1, nats: Math.log(8) },
  ]);
  assert.equal(pooled.tokens, 3);
  assert.ok(Math.abs(pooled.natsPerToken! - (2 * Math.log(8)) / 3) < 1e-15);
  // exp(2 ln 8 / 3) = 8^(2/3) = 4.
  assert.ok(Math.abs(pooled.perplexity! - 4) < 1e-12);
  assert.deepEqual(pooledPerplexity([]), { tokens: 0, nats: 0, natsPerToken: null, perplexity: null });
});
