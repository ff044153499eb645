import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { emitModel } from '../graph/onnx/model.ts';
import { createRng } from '../graph/random.ts';
import { createSession } from '../graph/runtime.ts';
import { buildGenerationGraph } from '../models/llama/generation-graph.ts';
import { promptLogits } from '../models/llama/testing/generation-runner.ts';
import { randomWeights, tinyConfig } from '../models/llama/testing/tiny-llama.ts';
import { generateTokens } from './generate.ts';
import { type RemoteSession, SessionHost } from './host/session-host.ts';
import { SamplingParamsSchema } from './sampling/sampling-params.ts';

const config = tinyConfig();
const weights = randomWeights({ config, rng: createRng(21) });
const STOP = 257;
let host: SessionHost;
let session: RemoteSession;

before(async () => {
  host = await SessionHost.start();
  session = await host.createSession({
    model: emitModel({ graph: buildGenerationGraph({ config, weights }) }),
  });
});
after(async () => {
  await host.close();
});

const prompts = [
  [256, 10, 20, 30, 40],
  [256, 7],
  [256, 99, 98, 97, 96, 95, 94, 93],
  [256, 1, 2],
];

function logSoftmax(row: Float32Array): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (const x of row) max = Math.max(max, x);
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  return Array.from(row, (x) => x - max - Math.log(sum));
}

test('sampled log-probs equal a full forward pass over prompt + generated tokens', async () => {
  const params = SamplingParamsSchema.parse({ temperature: 1, topP: 0.95, seed: 3, maxNewTokens: 12 });
  const { sequences, stats } = await generateTokens({ session, config, prompts, params, stopIds: [STOP] });
  assert.equal(
    stats.newTokens,
    sequences.reduce((a, s) => a + s.tokenIds.length, 0),
  );
  // Reference: logits at every position of the whole text from one prefill (no cache reuse).
  const scorer = await createSession({
    model: emitModel({ graph: buildGenerationGraph({ config, weights, allLogits: true }) }),
  });
  const full = prompts.map((p, b) => [...p, ...sequences[b]!.tokenIds]);
  const logits = await promptLogits({ session: scorer, config, prompts: full });
  let worst = 0;
  sequences.forEach((s, b) => {
    s.tokenIds.forEach((token, i) => {
      const row = logits[b]![prompts[b]!.length - 1 + i]!;
      worst = Math.max(worst, Math.abs(logSoftmax(row)[token]! - s.logprobs[i]!));
    });
  });
  assert.ok(worst < 1e-4, `log-prob mismatch ${worst}`);
});

test('greedy results per prompt do not depend on the batch, and stop tokens end sequences early', async () => {
  const params = SamplingParamsSchema.parse({ temperature: 0, maxNewTokens: 10 });
  const batched = await generateTokens({ session, config, prompts, params, stopIds: [] });
  for (const [b, prompt] of prompts.entries()) {
    const alone = await generateTokens({ session, config, prompts: [prompt], params, stopIds: [] });
    assert.deepEqual(alone.sequences[0]!.tokenIds, batched.sequences[b]!.tokenIds);
    alone.sequences[0]!.logprobs.forEach((lp, i) => {
      assert.ok(Math.abs(lp - batched.sequences[b]!.logprobs[i]!) < 1e-4);
    });
  }
  // Make a token that some greedy continuations produce (and others do not) a stop token: those
  // sequences end at its first occurrence, the rest run on unchanged while the batch shrinks.
  const outputs = batched.sequences.map((s) => s.tokenIds);
  const stop = outputs.flat().find((t) => outputs.some((o) => !o.includes(t)));
  assert.ok(stop !== undefined, 'the test needs a token shared by some continuations only');
  const stopped = await generateTokens({ session, config, prompts, params, stopIds: [stop] });
  let cut = 0;
  for (const [b, expected] of outputs.entries()) {
    const at = expected.indexOf(stop);
    assert.deepEqual(stopped.sequences[b]!.tokenIds, at < 0 ? expected : expected.slice(0, at + 1));
    assert.equal(stopped.sequences[b]!.finishReason, at < 0 ? 'length' : 'stop');
    if (at >= 0) cut++;
  }
  assert.ok(cut > 0 && cut < prompts.length);
});

test('the same seed reproduces a sampled batch; prompts longer than the context are refused', async () => {
  const params = SamplingParamsSchema.parse({ temperature: 0.8, topK: 20, seed: 11, maxNewTokens: 8 });
  const a = await generateTokens({ session, config, prompts, params, stopIds: [STOP] });
  const b = await generateTokens({ session, config, prompts, params, stopIds: [STOP] });
  assert.deepEqual(a.sequences, b.sequences);
  const long = SamplingParamsSchema.parse({ maxNewTokens: config.contextLength });
  await assert.rejects(
    generateTokens({ session, config, prompts, params: long, stopIds: [] }),
    /exceeds the model's context/,
  );
});
