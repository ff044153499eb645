import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchSampler } from './batch-sampler.ts';
import { murmur3Words } from './prng.ts';
import { SamplingParamsSchema } from './sampling-params.ts';

const VOCAB = 16;
const STOP = 15;

/**
 * Test input: a deterministic next-token distribution that depends on the whole prefix (a hash of
 * it), standing in for a language model's logits. The stop token gets more likely as text grows.
 */
function toyLogits(prefix: readonly number[]): Float32Array {
  const h = murmur3Words(prefix, 1234);
  return Float32Array.from({ length: VOCAB }, (_, v) =>
    v === STOP ? -3 + prefix.length * 0.4 : Math.sin(h * 1e-6 + v * 2.3) * 2,
  );
}

/** Runs the sampler over a batch, feeding rows in the given order each step. */
function generate(options: {
  seeds: number;
  streams: number[];
  maxNewTokens: number;
  temperature?: number;
  rowOrder?: (active: number[]) => number[];
}) {
  const params = SamplingParamsSchema.parse({
    seed: options.seeds,
    maxNewTokens: options.maxNewTokens,
    temperature: options.temperature ?? 1,
    topP: 0.9,
  });
  const sampler = new BatchSampler({
    params,
    streams: options.streams,
    size: options.streams.length,
    stopIds: [STOP],
  });
  while (!sampler.done) {
    const rows = (options.rowOrder ?? ((a) => a))(sampler.active());
    const logits = new Float32Array(rows.length * VOCAB);
    const results = sampler.results();
    rows.forEach((seq, r) => {
      logits.set(toyLogits([7, ...results[seq]!.tokenIds]), r * VOCAB);
    });
    sampler.step({ logits, rows });
  }
  return sampler.results();
}

test('sequences stop on a stop token (kept last) or at maxNewTokens', () => {
  const results = generate({ seeds: 3, streams: [0, 1, 2, 3, 4, 5, 6, 7], maxNewTokens: 12 });
  for (const r of results) {
    assert.equal(r.tokenIds.length, r.logprobs.length);
    assert.equal(r.tokenIds.length, r.samplingLogprobs.length);
    if (r.finishReason === 'stop') {
      assert.equal(r.tokenIds.at(-1), STOP);
      assert.ok(!r.tokenIds.slice(0, -1).includes(STOP));
    } else {
      assert.equal(r.tokenIds.length, 12);
      assert.ok(!r.tokenIds.includes(STOP));
    }
    for (const lp of r.logprobs) assert.ok(lp <= 0 && Number.isFinite(lp));
  }
  assert.ok(results.some((r) => r.finishReason === 'stop'));
  assert.ok(results.some((r) => r.tokenIds.length > 1));
});

test('the same seed reproduces every sequence; another seed changes them', () => {
  const streams = [0, 1, 2, 3];
  const a = generate({ seeds: 99, streams, maxNewTokens: 10 });
  assert.deepEqual(generate({ seeds: 99, streams, maxNewTokens: 10 }), a);
  const b = generate({ seeds: 100, streams, maxNewTokens: 10 });
  assert.notDeepEqual(
    b.map((r) => r.tokenIds),
    a.map((r) => r.tokenIds),
  );
});

test("a sequence's samples do not depend on its batch: size, order or neighbours", () => {
  const alone = generate({ seeds: 5, streams: [42], maxNewTokens: 10 })[0];
  const batched = generate({
    seeds: 5,
    streams: [7, 42, 8, 9, 10],
    maxNewTokens: 10,
    rowOrder: (active) => [...active].reverse(),
  })[1];
  assert.deepEqual(batched, alone);
});

test('temperature 0 is greedy: every seed gives the same result', () => {
  const a = generate({ seeds: 1, streams: [0, 1], maxNewTokens: 8, temperature: 0 });
  const b = generate({ seeds: 2, streams: [0, 1], maxNewTokens: 8, temperature: 0 });
  assert.deepEqual(a, b);
  for (const r of a) for (const s of r.samplingLogprobs) assert.equal(s, 0);
});

test('finished or unknown rows are refused; a mismatched logits length is refused', () => {
  const params = SamplingParamsSchema.parse({ maxNewTokens: 1 });
  const sampler = new BatchSampler({ params, size: 2, stopIds: [] });
  sampler.step({ logits: new Float32Array(2 * VOCAB), rows: [0, 1] });
  assert.ok(sampler.done);
  assert.throws(() => sampler.step({ logits: new Float32Array(VOCAB), rows: [0] }), /finished/);
  const fresh = new BatchSampler({ params, size: 2, stopIds: [] });
  assert.throws(() => fresh.step({ logits: new Float32Array(VOCAB + 1), rows: [0, 1] }), /multiple/);
  assert.throws(() => new BatchSampler({ params, size: 2, streams: [1], stopIds: [] }), /streams/);
});
