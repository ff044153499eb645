import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from 'onnxruntime-node';
import { emitModel } from '../../graph/onnx/model.ts';
import { createRng } from '../../graph/random.ts';
import { createSession } from '../../graph/runtime.ts';
import { sampleToken } from '../../engine/sampling/sample-token.ts';
import { GENERATION_IO as IO, buildGenerationGraph } from './generation-graph.ts';
import { HostKvCache, stepFeeds } from './testing/generation-runner.ts';
import { randomWeights, tinyConfig } from './testing/tiny-llama.ts';

test('in-graph sampling draws the token sampleToken draws from the same logits and uniform', async () => {
  // 260 ids: the two-level CDF's last block is partial (zero weights past the vocabulary).
  const config = tinyConfig();
  const weights = randomWeights({ config, rng: createRng(12) });
  const session = await createSession({
    model: emitModel({ graph: buildGenerationGraph({ config, weights }) }),
  });
  const prompts = Array.from({ length: 16 }, (_, b) => [256, 3 + b, 40 + 2 * b, 7]);
  const rng = createRng(5);
  let compared = 0;
  for (const temperature of [1, 0.7, 1.6]) {
    for (let round = 0; round < 8; round++) {
      const uniform = Float32Array.from(prompts, () => rng.uniform());
      const cache = new HostKvCache(config, prompts.length, 4);
      const out = await session.run(
        {
          ...cache.feeds(),
          ...stepFeeds(
            prompts,
            prompts.map(() => 0),
          ),
          [IO.invTemperature]: new Tensor('float32', Float32Array.of(1 / temperature), []),
          [IO.greedy]: new Tensor('bool', Uint8Array.of(0), []),
          [IO.uniform]: new Tensor('float32', uniform, [prompts.length]),
        },
        [IO.token, IO.tokenLogprob, IO.samplingLogprob, IO.logits, IO.logsumexp],
      );
      const V = config.vocabSize;
      const read = <T>(name: string) => out[name]?.data as T;
      const logits = read<Float32Array>(IO.logits);
      const tokens = read<BigInt64Array>(IO.token);
      const logprobs = read<Float32Array>(IO.tokenLogprob);
      const samplingLogprobs = read<Float32Array>(IO.samplingLogprob);
      prompts.forEach((_, b) => {
        const row = logits.subarray(b * V, (b + 1) * V);
        const draw = (u: number) => sampleToken({ logits: row, temperature, topP: 1, topK: 0, u });
        const expected = draw(uniform[b] as number);
        const token = Number(tokens[b]);
        // float32 running sums in the graph: only a uniform within rounding of a boundary may differ.
        const nearBoundary =
          draw((uniform[b] as number) + 1e-5).token !== expected.token ||
          draw((uniform[b] as number) - 1e-5).token !== expected.token;
        if (nearBoundary) return;
        compared++;
        assert.equal(token, expected.token, `row ${b}, temperature ${temperature}`);
        assert.ok(Math.abs(logprobs[b]! - expected.logprob) < 1e-4);
        assert.ok(Math.abs(samplingLogprobs[b]! - expected.samplingLogprob) < 1e-4);
      });
    }
  }
  assert.ok(compared > 300, `only ${compared} draws compared`);
  await session.release();
});
