import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { emitModel } from '../../graph/onnx/model.ts';
import { createRng } from '../../graph/random.ts';
import { createSession, runSession } from '../../graph/runtime.ts';
import { fromData, type HostTensor, tensor } from '../../graph/tensor.ts';
import { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { buildGenerationGraph, GENERATION_IO } from './generation-graph.ts';
import { buildLogprobGraph } from './logprob-graph.ts';
import { initLora, LoraConfigSchema, loraSlots } from './lora.ts';
import { type LlamaContext, llamaForward, llamaLogits } from './model.ts';
import {
  cachedStep,
  greedyGenerate,
  HostKvCache,
  leftPad,
  maxAbsDiff,
  promptLogits,
} from './testing/generation-runner.ts';
import { randomWeights, tinyConfig } from './testing/tiny-llama.ts';
import { frozenWeights, type WeightTensors } from './weights.ts';
import type { LlamaConfig } from '../config.ts';

const config = tinyConfig();
const weights = randomWeights({ config, rng: createRng(3) });
const lora = LoraConfigSchema.parse({
  rank: 4,
  alpha: 8,
  targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'],
});
const PROMPTS = [
  [5, 9, 17, 3, 250, 8, 1],
  [42, 7],
  [100, 101, 102, 103],
];

async function session(graph: ReturnType<typeof buildGenerationGraph>): Promise<InferenceSession> {
  return createSession({ model: emitModel({ graph }) });
}

/** LoRA tensors with non-zero B, as a trained adapter would have. */
function trainedLora(seed: number): Map<string, HostTensor> {
  const rng = createRng(seed);
  const out = new Map<string, HostTensor>();
  for (const [name, t] of initLora({ config, lora, rng })) {
    out.set(
      name,
      name.endsWith('lora_b') ? tensor.randn({ dtype: 'float32', dims: t.dims, rng, scale: 0.1 }) : t,
    );
  }
  return out;
}

/** Logits at every position from the no-cache forward (the training and scoring path). */
async function uncachedLogits(options: { config: LlamaConfig; weights: WeightTensors; fused: boolean }) {
  const g = new GraphBuilder();
  const inputIds = g.input({ name: 'input_ids', dtype: 'int64', shape: ['B', 'T'] });
  const attentionMask = g.input({ name: 'attention_mask', dtype: 'int64', shape: ['B', 'T'] });
  const ctx: LlamaContext = {
    g,
    config: options.config,
    dtype: 'float32',
    weights: frozenWeights({ g, config: options.config, tensors: options.weights, dtype: 'float32' }),
    fused: options.fused,
  };
  g.output(llamaLogits(ctx, llamaForward(ctx, { inputIds, attentionMask }).hidden), 'logits');
  const s = await createSession({ model: emitModel({ graph: g }) });
  const { ids, mask } = leftPad(PROMPTS);
  const out = (await runSession({ session: s, feeds: { input_ids: ids, attention_mask: mask } }))[
    'logits'
  ] as HostTensor;
  await s.release();
  const [, T, V] = out.dims as [number, number, number];
  const data = out.data as Float32Array;
  return PROMPTS.map((p, b) =>
    Array.from({ length: p.length }, (_, i) =>
      data.slice((b * T + T - p.length + i) * V, (b * T + T - p.length + i + 1) * V),
    ),
  );
}

describe('KV-cache generation graph', () => {
  for (const architecture of ['llama', 'qwen2', 'qwen3'] as const) {
    const archConfig = tinyConfig({ architecture });
    const archWeights = randomWeights({ config: archConfig, rng: createRng(3) });

    it(`${architecture}: a prefill over an empty cache equals the no-cache forward (primitive and fused)`, async () => {
      const s = await session(
        buildGenerationGraph({ config: archConfig, weights: archWeights, allLogits: true }),
      );
      const cached = (await promptLogits({ session: s, config: archConfig, prompts: PROMPTS })).flat();
      for (const fused of [false, true]) {
        const plain = (await uncachedLogits({ config: archConfig, weights: archWeights, fused })).flat();
        const worst = maxAbsDiff(cached, plain);
        assert.ok(worst < 1e-4, `fused=${fused}: prefill differs from the no-cache forward by ${worst}`);
      }
      await s.release();
    });

    it(`${architecture}: greedy decoding with the cache equals full recomputation`, async (t) => {
      const s = await session(
        buildGenerationGraph({ config: archConfig, weights: archWeights, allLogits: true }),
      );
      const decoded = await greedyGenerate({ session: s, config: archConfig, prompts: PROMPTS, steps: 10 });
      const full = await promptLogits({
        session: s,
        config: archConfig,
        prompts: PROMPTS.map((p, b) => [...p, ...(decoded.tokens[b] as number[]).slice(0, -1)]),
      });
      let worst = 0;
      PROMPTS.forEach((p, b) => {
        const recomputed = (full[b] as Float32Array[]).slice(p.length - 1);
        worst = Math.max(worst, maxAbsDiff(decoded.logits[b] as Float32Array[], recomputed));
      });
      t.diagnostic(`max |cached - recomputed| over ${PROMPTS.length}x10 steps: ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-4, `cached decoding differs from recomputation by ${worst}`);
      await s.release();
    });
  }

  it('a multi-token step on top of a cache (chunked prefill) equals one prefill, with spare capacity', async () => {
    const s = await session(buildGenerationGraph({ config, weights, allLogits: true }));
    const whole = await promptLogits({ session: s, config, prompts: PROMPTS });
    // First chunk: all but the last 2 tokens of each row; second chunk: those 2. Capacity 16 > T.
    const cache = new HostKvCache(config, PROMPTS.length, 16);
    const heads = PROMPTS.map((p) => p.slice(0, -2));
    await cachedStep({ session: s, cache, tokens: heads, at: PROMPTS.map(() => 0), fetches: [] });
    const second = await cachedStep({
      session: s,
      cache,
      tokens: PROMPTS.map((p) => p.slice(-2)),
      at: heads.map((h) => h.length),
      fetches: [GENERATION_IO.allLogits],
    });
    const all = second[GENERATION_IO.allLogits]?.data as Float32Array; // [B, 2, V]
    const V = config.vocabSize;
    let worst = 0;
    PROMPTS.forEach((_, b) => {
      const expected = (whole[b] as Float32Array[]).slice(-2);
      const got = [0, 1].map((i) => all.slice((b * 2 + i) * V, (b * 2 + i + 1) * V));
      worst = Math.max(worst, maxAbsDiff(got, expected));
    });
    assert.ok(worst < 1e-4, `chunked prefill differs by ${worst}`);
    await s.release();
  });
});

describe('LoRA inputs', () => {
  it('lora_scale = 0 gives the base model; lora_scale = 1 equals merged weights W + (alpha/r) B A', async () => {
    const adapters = trainedLora(8);
    const feeds = (scale: number) => ({
      ...Object.fromEntries(adapters),
      lora_scale: tensor.scalar('float32', scale),
    });
    const base = await session(buildGenerationGraph({ config, weights, allLogits: true }));
    const adapted = await session(buildGenerationGraph({ config, weights, lora, allLogits: true }));
    const merged = new Map(weights);
    for (const slot of loraSlots({ config, lora })) {
      const w = weights.get(slot.weight) as HostTensor;
      const a = adapters.get(slot.aName)?.data as Float32Array;
      const b = adapters.get(slot.bName)?.data as Float32Array;
      const [out, inp] = w.dims as [number, number];
      const data = Float32Array.from(w.data as Float32Array);
      for (let o = 0; o < out; o++)
        for (let i = 0; i < inp; i++) {
          let sum = 0;
          for (let r = 0; r < lora.rank; r++)
            sum += (b[o * lora.rank + r] as number) * (a[r * inp + i] as number);
          data[o * inp + i] = (data[o * inp + i] as number) + (lora.alpha / lora.rank) * sum;
        }
      merged.set(slot.weight, fromData({ dtype: 'float32', dims: w.dims, data }));
    }
    const mergedSession = await session(buildGenerationGraph({ config, weights: merged, allLogits: true }));
    const flat = (rows: Float32Array[][]) => rows.flat();
    const baseLogits = flat(await promptLogits({ session: base, config, prompts: PROMPTS }));
    const off = flat(await promptLogits({ session: adapted, config, prompts: PROMPTS, extra: feeds(0) }));
    const on = flat(await promptLogits({ session: adapted, config, prompts: PROMPTS, extra: feeds(1) }));
    const mergedLogits = flat(await promptLogits({ session: mergedSession, config, prompts: PROMPTS }));
    assert.ok(maxAbsDiff(off, baseLogits) < 1e-5, 'lora_scale 0 must be the base model');
    assert.ok(maxAbsDiff(on, mergedLogits) < 1e-4, 'LoRA must equal the merged weights');
    assert.ok(maxAbsDiff(on, baseLogits) > 1e-2, 'the adapter must change the logits');
    for (const s of [base, adapted, mergedSession]) await s.release();
  });

  it('names inputs after the adapted weight, with PEFT shapes', () => {
    const slots = loraSlots({ config, lora: LoraConfigSchema.parse({ rank: 2, targets: ['q', 'down'] }) });
    assert.deepEqual(
      slots.map((s) => [s.aName, s.aShape, s.bName, s.bShape]),
      [
        ['blk.0.attn_q.lora_a', [2, 64], 'blk.0.attn_q.lora_b', [64, 2]],
        ['blk.0.ffn_down.lora_a', [2, 96], 'blk.0.ffn_down.lora_b', [64, 2]],
        ['blk.1.attn_q.lora_a', [2, 64], 'blk.1.attn_q.lora_b', [64, 2]],
        ['blk.1.ffn_down.lora_a', [2, 96], 'blk.1.ffn_down.lora_b', [64, 2]],
      ],
    );
    assert.throws(
      () => LoraConfigSchema.parse({ targets: ['q', 'qkv'] }),
      /unknown LoRA target 'qkv'; known: q, k, v, o, gate, up, down/,
    );
  });
});

describe('log-prob graph', () => {
  it('equals log-softmax of the generation logits, at temperature 1 and 0.7, and its entropies', async () => {
    const gen = await session(buildGenerationGraph({ config, weights, allLogits: true }));
    const all = await promptLogits({ session: gen, config, prompts: PROMPTS });
    const lp = await createSession({ model: emitModel({ graph: buildLogprobGraph({ config, weights }) }) });
    const { ids, mask } = leftPad(PROMPTS);
    const T = ids.dims[1] as number;
    for (const temperature of [1, 0.7]) {
      const out = await runSession({
        session: lp,
        feeds: { input_ids: ids, attention_mask: mask, temperature: tensor.scalar('float32', temperature) },
      });
      const logprobs = out['logprobs']?.data as Float32Array;
      const entropies = out['entropies']?.data as Float32Array;
      PROMPTS.forEach((p, b) => {
        const offset = T - p.length;
        assert.equal(logprobs[b * T], 0, 'position 0 holds 0');
        for (let i = 1; i < p.length; i++) {
          const row = all[b]?.[i - 1] as Float32Array;
          const logits = row.map((v) => v / temperature);
          const max = Math.max(...logits);
          const lse = max + Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0));
          const expected = (logits[p[i] as number] as number) - lse;
          const entropy = -logits.reduce((s, v) => s + Math.exp(v - lse) * (v - lse), 0);
          const at = b * T + offset + i;
          assert.ok(Math.abs((logprobs[at] as number) - expected) < 1e-4, `row ${b} token ${i}`);
          assert.ok(Math.abs((entropies[at] as number) - entropy) < 1e-4, `row ${b} token ${i} entropy`);
        }
      });
    }
    await gen.release();
    await lp.release();
  });
});

describe('projection hook', () => {
  it('replaces x Wᵀ for the weights it handles (here: MatMul with a transposed copy), biases and head included', async () => {
    const qwen = tinyConfig({ architecture: 'qwen2' });
    const qwenWeights = randomWeights({ config: qwen, rng: createRng(21) });
    const build = (hooked: boolean) => {
      const g = new GraphBuilder();
      const inputIds = g.input({ name: 'input_ids', dtype: 'int64', shape: ['B', 'T'] });
      const attentionMask = g.input({ name: 'attention_mask', dtype: 'int64', shape: ['B', 'T'] });
      const weights = frozenWeights({ g, config: qwen, tensors: qwenWeights, dtype: 'float32' });
      const handled: string[] = [];
      const project = (x: Value, weight: string): Value | undefined => {
        if (!weight.endsWith('attn_q.weight') && weight !== 'output.weight') return undefined;
        handled.push(weight);
        return g.matmul(x, g.transpose(weights.get(weight), [1, 0]));
      };
      const ctx: LlamaContext = {
        g,
        config: qwen,
        dtype: 'float32',
        weights,
        fused: false,
        ...(hooked ? { project } : {}),
      };
      const { hidden } = llamaForward(ctx, { inputIds, attentionMask });
      g.output(llamaLogits(ctx, hidden), 'logits');
      return { g, handled };
    };
    const { ids, mask } = leftPad(PROMPTS);
    const run = async (g: GraphBuilder) => {
      const s = await createSession({ model: emitModel({ graph: g }) });
      const out = await runSession({ session: s, feeds: { input_ids: ids, attention_mask: mask } });
      await s.release();
      return out['logits']?.data as Float32Array;
    };
    const hooked = build(true);
    assert.deepEqual(hooked.handled, ['blk.0.attn_q.weight', 'blk.1.attn_q.weight', 'output.weight']);
    assert.ok(maxAbsDiff([await run(hooked.g)], [await run(build(false).g)]) < 1e-4);
  });
});
