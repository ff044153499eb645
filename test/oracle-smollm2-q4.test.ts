import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { emitModel } from '../src/graph/onnx/model.ts';
import { createSession } from '../src/graph/runtime.ts';
import type { HostTensor } from '../src/graph/tensor.ts';
import { defaultModelPath, SETUP_MODEL_COMMAND } from '../src/models/default-model.ts';
import { type GgufModelSource, openGgufModel } from '../src/models/gguf/gguf-source.ts';
import { buildGenerationGraph } from '../src/models/llama/generation-graph.ts';
import type { AccuracyLevel } from '../src/models/llama/quant/matmul-nbits.ts';
import { type PackedWeights, packWeights } from '../src/models/llama/quant/quantized-weights.ts';
import { greedyGenerate, promptLogits } from '../src/models/llama/testing/generation-runner.ts';
import { openLlamaCpp } from '../src/models/llama/testing/llama-cpp-oracle.ts';
import { loadWeights } from '../src/models/llama/weights.ts';
import { tokenizerFromGguf } from '../src/models/tokenizer/gguf-tokenizer.ts';

/**
 * SmolLM2-135M-Instruct (Q4_1 file) through the generation graph with MatMulNBits projections: the
 * file's Q4_1 blocks repacked bit for bit (integer zero point plus residual minimum) and its Q8_0 embedding
 * as the 8-bit output head. Compared position by position (five chat prompts and 24 greedy tokens
 * each) with the float32 graph on the dequantised weights and with llama.cpp on the file itself.
 * - accuracy level 0 (float32 activations): the same weights as float32, so the top-1 token agrees
 *   at >= 99% of positions (only near-ties may flip);
 * - accuracy level 4 (int8 activations per block, llama.cpp's own scheme): >= 95% against both.
 * Skipped only when the model file is missing; CI installs it first.
 */
const path = defaultModelPath();
const skip = existsSync(path) ? false : `model file ${path} is missing: run \`${SETUP_MODEL_COMMAND}\``;
const STEPS = 24;
const QUESTIONS = [
  'What is the capital of France?',
  'Write a haiku about the sea.',
  'Explain photosynthesis in one sentence.',
  'List three prime numbers.',
  "Translate 'good morning' into Spanish.",
];

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
}

describe('SmolLM2-135M-Instruct with 4-bit MatMulNBits projections', { skip }, () => {
  let source: GgufModelSource;
  let weights: Map<string, HostTensor>;
  let packed: PackedWeights;
  let sequences: number[][];
  /** Top-1 token per position of each sequence: float32 graph and llama.cpp (Q4_1 file). */
  let float32Top: number[][];
  let llamaCppTop: number[][];
  const sessions: InferenceSession[] = [];

  const topTokens = async (quantized?: { weights: PackedWeights; accuracyLevel: AccuracyLevel }) => {
    const graph = buildGenerationGraph({
      config: source.config,
      weights,
      allLogits: true,
      ...(quantized === undefined ? {} : { quantized }),
    });
    const session = await createSession({ model: emitModel({ graph }) });
    sessions.push(session);
    const logits = await promptLogits({ session, config: source.config, prompts: sequences });
    return { session, top: logits.map((rows) => rows.map(argmax)) };
  };

  const agreement = (a: number[][], b: number[][]) => {
    let same = 0;
    let total = 0;
    a.forEach((row, s) => {
      row.forEach((tok, i) => {
        total += 1;
        if (tok === b[s]?.[i]) same += 1;
      });
    });
    return { same, total, rate: same / total };
  };

  before(async () => {
    source = await openGgufModel({ path });
    const tokenizer = tokenizerFromGguf({ header: source.header });
    const prompts = QUESTIONS.map(
      (q) => tokenizer.applyChatTemplate([{ role: 'user', content: q }], { addGenerationPrompt: true }).ids,
    );
    weights = await loadWeights({ source });
    packed = await packWeights({ source, weights });
    // Positions in and beyond the prompts: each prompt plus its float32 greedy continuation.
    sequences = prompts;
    const float32 = await topTokens();
    const greedy = await greedyGenerate({
      session: float32.session,
      config: source.config,
      prompts,
      steps: STEPS,
    });
    sequences = prompts.map((p, b) => [...p, ...(greedy.tokens[b] as number[]).slice(0, -1)]);
    float32Top = (await topTokens()).top;
    const oracle = await openLlamaCpp({
      modelPath: path,
      contextSize: 256,
      vocabSize: source.config.vocabSize,
    });
    try {
      llamaCppTop = [];
      for (const s of sequences) llamaCppTop.push(await oracle.topTokens(s));
    } finally {
      await oracle.dispose();
    }
  });
  after(async () => {
    for (const s of sessions) await s.release();
  });

  it('packs every projection from the file bit for bit and the Q8_0 embedding as the 8-bit head', () => {
    const head = packed.get('token_embd.weight');
    assert.equal(head?.bits, 8);
    const projections = [...packed.values()].filter((p) => p.bits === 4);
    assert.equal(projections.length, 7 * source.config.numLayers);
    assert.ok(
      projections.every((p) => p.mins !== undefined),
      'Q4_1 blocks keep their minimums',
    );
  });

  it('accuracy level 0: top-1 agrees with float32 at >= 99% of positions', async (t) => {
    const { top } = await topTokens({ weights: packed, accuracyLevel: 0 });
    const vsFloat = agreement(top, float32Top);
    t.diagnostic(
      `level 0 vs float32: ${vsFloat.same}/${vsFloat.total} = ${(100 * vsFloat.rate).toFixed(1)}%`,
    );
    const vsLlama = agreement(top, llamaCppTop);
    t.diagnostic(
      `level 0 vs llama.cpp: ${vsLlama.same}/${vsLlama.total} = ${(100 * vsLlama.rate).toFixed(1)}%`,
    );
    assert.ok(vsFloat.rate >= 0.99, `agreement with float32 ${vsFloat.rate}`);
  });

  it('accuracy level 4: top-1 agrees with float32 and with llama.cpp at >= 95% of positions', async (t) => {
    const { top } = await topTokens({ weights: packed, accuracyLevel: 4 });
    const vsFloat = agreement(top, float32Top);
    const vsLlama = agreement(top, llamaCppTop);
    const floatVsLlama = agreement(float32Top, llamaCppTop);
    t.diagnostic(
      `level 4 vs float32: ${vsFloat.same}/${vsFloat.total} = ${(100 * vsFloat.rate).toFixed(1)}%`,
    );
    t.diagnostic(
      `level 4 vs llama.cpp: ${vsLlama.same}/${vsLlama.total} = ${(100 * vsLlama.rate).toFixed(1)}%`,
    );
    t.diagnostic(`(float32 vs llama.cpp: ${(100 * floatVsLlama.rate).toFixed(1)}%)`);
    assert.ok(vsFloat.rate >= 0.95, `agreement with float32 ${vsFloat.rate}`);
    assert.ok(vsLlama.rate >= 0.95, `agreement with llama.cpp ${vsLlama.rate}`);
  });
});
