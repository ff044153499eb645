import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { emitModel } from '../graph/onnx/model.ts';
import { createRng } from '../graph/random.ts';
import { createSession } from '../graph/runtime.ts';
import type { WeightTensors } from '../models/llama/weights.ts';
import { buildGenerationGraph } from '../models/llama/generation-graph.ts';
import { promptLogits } from '../models/llama/testing/generation-runner.ts';
import { randomWeights, tinyConfig } from '../models/llama/testing/tiny-llama.ts';
import { ValidationError } from '../util/errors.ts';
import type { FinishedSequence } from './generation/generation-types.ts';
import { generateTokens } from './generate.ts';
import { type RemoteSession, SessionHost } from './host/session-host.ts';
import { uniformAt } from './sampling/prng.ts';
import { type SamplingParamsInput, SamplingParamsSchema } from './sampling/sampling-params.ts';
import { sampleToken } from './sampling/sample-token.ts';

const config = tinyConfig();
const weights = randomWeights({ config, rng: createRng(21) });
/**
 * The same model with its (tied) embedding scaled by 0.3: the unscaled one's logits are so large
 * that sampling is nearly greedy, this one's next-token distributions have a few nats of entropy
 * (see testing/tiny-model.ts), so seeds, streams and draw modes make a difference.
 */
const samplerWeights = scaledEmbedding(weights, 0.3);
const STOP = 257;
let host: SessionHost;
let session: RemoteSession;
let sampler: RemoteSession;
/** The sampler's model with logits at every position, in this thread: the reference forward pass. */
let scorer: InferenceSession;

function scaledEmbedding(base: WeightTensors, scale: number): WeightTensors {
  const out = new Map(base);
  const embedding = base.get('token_embd.weight');
  assert.ok(embedding !== undefined);
  out.set('token_embd.weight', {
    ...embedding,
    data: Float32Array.from(embedding.data as Float32Array, (x) => Math.fround(x * scale)),
  });
  return out;
}

before(async () => {
  host = await SessionHost.start();
  session = await host.createSession({
    model: emitModel({ graph: buildGenerationGraph({ config, weights }) }),
  });
  sampler = await host.createSession({
    model: emitModel({ graph: buildGenerationGraph({ config, weights: samplerWeights }) }),
  });
  scorer = await createSession({
    model: emitModel({ graph: buildGenerationGraph({ config, weights: samplerWeights, allLogits: true }) }),
  });
});
after(async () => {
  await scorer.release();
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

/** The three ways a decode step draws, and greedy (drawn in the graph too). */
const MODES: { name: string; params: SamplingParamsInput }[] = [
  { name: 'graph (full distribution)', params: { temperature: 1, topK: 0, topP: 1 } },
  { name: 'top-k', params: { temperature: 0.8, topK: 20 } },
  { name: 'full-row (top-p)', params: { temperature: 0.9, topP: 0.9 } },
];
const GREEDY = { name: 'graph (greedy)', params: { temperature: 0 } };

/** Prompts of different lengths, for the sampler; with STOPS they end after different numbers of tokens. */
const samplerPrompts = [
  [256, 10, 20, 30, 40],
  [256, 7],
  [256, 99, 98, 97, 96, 95, 94, 93],
  [256, 1, 2],
  [256, 50, 60],
  [256, 200, 201, 202, 203],
  [256, 33],
];
/** Tokens the sampler draws often: several sequences stop early, at different steps. */
const STOPS = [25, 108, 164, 167, 170];

/** One prompt generated on its own, with the stream it has in a larger request. */
async function alone(options: {
  prompt: readonly number[];
  stream: number;
  params: SamplingParamsInput;
  stopIds: readonly number[];
}): Promise<FinishedSequence> {
  const { sequences } = await generateTokens({
    session: sampler,
    config,
    prompts: [options.prompt],
    streams: [options.stream],
    params: SamplingParamsSchema.parse(options.params),
    stopIds: options.stopIds,
  });
  assert.equal(sequences.length, 1);
  return sequences[0]!;
}

/** Same tokens and finish; log-probs equal up to float32 differences between batch shapes. */
function assertSameSequence(actual: FinishedSequence, expected: FinishedSequence, what: string): void {
  assert.deepEqual(actual.tokenIds, expected.tokenIds, `${what}: tokens`);
  assert.equal(actual.finishReason, expected.finishReason, `${what}: finish reason`);
  for (const key of ['logprobs', 'samplingLogprobs'] as const) {
    assert.equal(actual[key].length, expected[key].length);
    actual[key].forEach((lp, i) => {
      assert.ok(
        Math.abs(lp - expected[key][i]!) < 1e-5,
        `${what}: ${key}[${i}] ${lp} vs ${expected[key][i]}`,
      );
    });
  }
}

test('every draw mode: tokens replay sampleToken on a full forward pass, log-probs match it', async () => {
  for (const mode of [...MODES, GREEDY]) {
    const params = SamplingParamsSchema.parse({ ...mode.params, seed: 3, maxNewTokens: 12 });
    const { sequences, stats } = await generateTokens({
      session: sampler,
      config,
      prompts,
      params,
      stopIds: [STOP],
    });
    assert.equal(
      stats.newTokens,
      sequences.reduce((a, s) => a + s.tokenIds.length, 0),
    );
    // Reference: logits at every position of the whole text from one prefill (no cache reuse).
    const full = prompts.map((p, b) => [...p, ...sequences[b]!.tokenIds]);
    const logits = await promptLogits({ session: scorer, config, prompts: full });
    let worst = 0;
    sequences.forEach((s, b) => {
      assert.equal(s.index, b);
      s.tokenIds.forEach((token, i) => {
        const row = logits[b]![prompts[b]!.length - 1 + i]!;
        const at = `${mode.name}: sequence ${b} token ${i}`;
        // The token is what sampleToken draws from this row with the sequence's uniform (the first
        // token after the prefill is drawn by sampleToken itself, later ones in the graph or from
        // its candidates), and its log-probs are this row's.
        const u = uniformAt({ seed: params.seed, stream: b, counter: i });
        const replay = sampleToken({ logits: row, ...params, u });
        assert.equal(token, replay.token, at);
        worst = Math.max(
          worst,
          Math.abs(logSoftmax(row)[token]! - s.logprobs[i]!),
          Math.abs(replay.samplingLogprob - s.samplingLogprobs[i]!),
        );
      });
    });
    assert.ok(worst < 1e-4, `${mode.name}: log-prob mismatch ${worst}`);
    if (mode === GREEDY) assert.ok(sequences.every((s) => s.samplingLogprobs.every((lp) => lp === 0)));
  }
});

test('in-graph sampling is reproducible with the same seed and differs across seeds', async () => {
  const run = (params: SamplingParamsInput) =>
    generateTokens({
      session: sampler,
      config,
      prompts: samplerPrompts,
      params: SamplingParamsSchema.parse({ ...params, maxNewTokens: 10 }),
      stopIds: [],
    });
  const graph = MODES[0]!.params;
  const a = await run({ ...graph, seed: 5 });
  const b = await run({ ...graph, seed: 5 });
  assert.deepEqual(a.sequences, b.sequences);
  const c = await run({ ...graph, seed: 6 });
  const differing = a.sequences.filter((s, i) => s.tokenIds.join() !== c.sequences[i]!.tokenIds.join());
  assert.ok(differing.length >= samplerPrompts.length - 1, `only ${differing.length} sequences differ`);
  // A top-k that keeps the whole vocabulary filters nothing: the same draws as no top-k.
  for (const topK of [config.vocabSize, config.vocabSize + 40]) {
    const wide = await run({ ...graph, topK, seed: 5 });
    assert.deepEqual(wide.sequences, a.sequences, `topK ${topK}`);
  }
});

test('continuous batching: with 2 slots each sequence is what it is alone, in every draw mode', async () => {
  for (const mode of MODES) {
    const params = { ...mode.params, seed: 9, maxNewTokens: 10 };
    const finishOrder: number[] = [];
    const batched = await generateTokens({
      session: sampler,
      config,
      prompts: samplerPrompts,
      params: SamplingParamsSchema.parse(params),
      stopIds: STOPS,
      slots: 2,
      onFinished: (s) => finishOrder.push(s.index),
    });
    assert.equal(batched.stats.peakBatch, 2, `${mode.name}: peak batch`); // full, never above the slots
    assert.ok(batched.stats.prefillRuns > 1, `${mode.name}: ${batched.stats.prefillRuns} prefill runs`);
    // The test means something only if slots were freed and refilled while others ran on.
    const lengths = batched.sequences.map((s) => s.tokenIds.length);
    assert.ok(new Set(lengths).size > 1, `${mode.name}: all sequences have ${lengths[0]} tokens`);
    assert.notDeepEqual(
      finishOrder,
      [...finishOrder].sort((x, y) => x - y),
      `${mode.name}: finish order`,
    );
    for (const [i, prompt] of samplerPrompts.entries()) {
      const expected = await alone({ prompt, stream: i, params, stopIds: STOPS });
      assertSameSequence(batched.sequences[i]!, expected, `${mode.name}: sequence ${i}`);
    }
  }
});

test('shared prefill: copies of one prompt prefill it once and draw from their own streams', async () => {
  const prompt = [256, 40, 41, 42, 43, 44];
  const streams = [10, 11, 12, 13];
  for (const mode of MODES) {
    const params = { ...mode.params, seed: 2, maxNewTokens: 8 };
    const expected = await Promise.all(
      streams.map((stream) => alone({ prompt, stream, params, stopIds: [STOP] })),
    );
    // The streams matter: not all four continuations are the same.
    assert.ok(new Set(expected.map((s) => s.tokenIds.join())).size > 1, `${mode.name}: identical streams`);
    // All four in the batch (one prefill), then with 3 slots (the group splits: two prefills).
    for (const [slots, prefills] of [
      [4, 1],
      [3, 2],
    ] as const) {
      const { sequences, stats } = await generateTokens({
        session: sampler,
        config,
        prompts: streams.map(() => prompt),
        streams,
        params: SamplingParamsSchema.parse(params),
        stopIds: [STOP],
        slots,
      });
      assert.equal(stats.promptTokens, 4 * prompt.length);
      assert.equal(stats.prefillTokens, prefills * prompt.length, `${mode.name}, ${slots} slots`);
      assert.equal(stats.prefillRuns, prefills);
      sequences.forEach((s, j) => {
        assertSameSequence(s, expected[j]!, `${mode.name}, ${slots} slots: stream ${streams[j]}`);
      });
    }
  }
});

test('onFinished sees every sequence once before generateTokens resolves; results in prompt order', async () => {
  const seen: FinishedSequence[] = [];
  const steps: { step: number; active: number; newTokens: number }[] = [];
  const { sequences, stats, seenAtResolve } = await generateTokens({
    session: sampler,
    config,
    prompts: samplerPrompts,
    params: SamplingParamsSchema.parse({ ...MODES[1]!.params, seed: 4, maxNewTokens: 10 }),
    stopIds: STOPS,
    slots: 2,
    onFinished: (s) => seen.push(s),
    onStep: (p) => steps.push({ step: p.step, active: p.active, newTokens: p.newTokens }),
  }).then((r) => ({ ...r, seenAtResolve: seen.length }));
  assert.equal(seenAtResolve, samplerPrompts.length);
  const indices = seen.map((s) => s.index);
  assert.deepEqual(
    [...indices].sort((a, b) => a - b),
    samplerPrompts.map((_, i) => i),
  );
  assert.notDeepEqual(
    indices,
    [...indices].sort((a, b) => a - b),
    'sequences should finish out of order',
  );
  assert.equal(sequences.length, samplerPrompts.length);
  sequences.forEach((s, i) => {
    assert.equal(s.index, i);
    assert.equal(
      s,
      seen.find((f) => f.index === i),
    );
  });
  // One step report per prefill and per decode step, numbered from 0, ending with nothing active.
  assert.equal(steps.length, stats.prefillRuns + stats.decodeSteps);
  assert.deepEqual(
    steps.map((p) => p.step),
    steps.map((_, i) => i),
  );
  assert.deepEqual(steps.at(-1), { step: steps.length - 1, active: 0, newTokens: stats.newTokens });
});

test('a prompt of zero tokens is refused, naming its index; so is a stream list of another length', async () => {
  await assert.rejects(
    generateTokens({
      session: sampler,
      config,
      prompts: [[256, 1], [256, 2]],
      params: SamplingParamsSchema.parse({ maxNewTokens: 4 }),
      stopIds: [],
      streams: [7],
    }),
    /streams: expected one stream id per prompt/,
  );
  await assert.rejects(
    generateTokens({
      session: sampler,
      config,
      prompts: [[256, 1], [256], [], [256, 2]],
      params: SamplingParamsSchema.parse({ maxNewTokens: 4 }),
      stopIds: [],
    }),
    (err: Error) => {
      assert.ok(err instanceof ValidationError, `${err.name}: ${err.message}`);
      assert.match(err.message, /prompts\.2: every prompt needs at least one token/);
      return true;
    },
  );
  // The session still serves.
  const after = await alone({
    prompt: [256, 1],
    stream: 0,
    params: { temperature: 0, maxNewTokens: 4 },
    stopIds: [],
  });
  assert.equal(after.tokenIds.length, 4);
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
  const a = await generateTokens({ session: sampler, config, prompts, params, stopIds: [STOP] });
  const b = await generateTokens({ session: sampler, config, prompts, params, stopIds: [STOP] });
  assert.deepEqual(a.sequences, b.sequences);
  const long = SamplingParamsSchema.parse({ maxNewTokens: config.contextLength });
  await assert.rejects(
    generateTokens({ session, config, prompts, params: long, stopIds: [] }),
    /exceeds the model's context/,
  );
});
