import { GraphBuilder } from '../../graph/builder.ts';
import type { LlamaConfig } from '../config.ts';
import type { LoraConfig } from './lora.ts';
import { bindLora, type KvPair, type LlamaContext, llamaForward, llamaLogits } from './model.ts';
import { type QuantizedProjections, quantizedProjection } from './quant/projection.ts';
import { frozenWeights, type WeightTensors } from './weights.ts';

/**
 * The generation graph: one step of prefill or decode with a KV cache, for a batch of
 * left-padded sequences. One session serves prefill (P = 0, empty past tensors) and decode (T = 1).
 *
 * Inputs
 *   input_ids            int64 [B, T]        new tokens (left-padded on prefill)
 *   attention_mask       int64 [B, P+T]      1 = real token, 0 = padding, for cached + new tokens
 *   past_key.{i}         float32 [B, KV, P, D] per layer i (P = 0 on prefill)
 *   past_value.{i}       float32 [B, KV, P, D]
 *   lora_scale, {w}.lora_a, {w}.lora_b       when built with LoRA (see lora.ts)
 * Outputs
 *   logits               float32 [B, V]      at the last position of each row
 *   logsumexp            float32 [B]         log Σ exp(logits) of each row (log-softmax = logits - it)
 *   all_logits           float32 [B, T, V]   at every position (only with `allLogits`)
 *   present_key.{i}      float32 [B, KV, P+T, D], present_value.{i} likewise
 * Positions come from the mask (number of real tokens before each token), so the engine only keeps
 * the mask: append a 1 per decoded token, and feed present_* back as past_*.
 */
export interface GenerationGraphOptions {
  config: LlamaConfig;
  /** Frozen base weights (float32), by canonical name. */
  weights: WeightTensors;
  lora?: LoraConfig;
  /** Use ORT's fused RMSNormalization / RotaryEmbedding / Attention (default true). */
  fused?: boolean;
  /** Also output logits at every position (tests, scoring prompts). */
  allLogits?: boolean;
  /**
   * Packed matrices run through MatMulNBits instead of float32 Gemm (see quant/). The float32
   * `weights` still provide the embedding table, norms and biases.
   */
  quantized?: QuantizedProjections;
}

export const GENERATION_IO = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  pastKey: (layer: number) => `past_key.${layer}`,
  pastValue: (layer: number) => `past_value.${layer}`,
  presentKey: (layer: number) => `present_key.${layer}`,
  presentValue: (layer: number) => `present_value.${layer}`,
  logits: 'logits',
  logsumexp: 'logsumexp',
  allLogits: 'all_logits',
  loraScale: 'lora_scale',
} as const;

export function buildGenerationGraph(options: GenerationGraphOptions): GraphBuilder {
  const { config } = options;
  const dtype = 'float32';
  const g = new GraphBuilder({ name: 'llama_generation' });
  const [KV, D] = [config.numKvHeads, config.headDim];
  const inputIds = g.input({ name: GENERATION_IO.inputIds, dtype: 'int64', shape: ['B', 'T'] });
  const attentionMask = g.input({ name: GENERATION_IO.attentionMask, dtype: 'int64', shape: ['B', 'P+T'] });
  const past: KvPair[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    past.push({
      key: g.input({ name: GENERATION_IO.pastKey(layer), dtype, shape: ['B', KV, 'P', D] }),
      value: g.input({ name: GENERATION_IO.pastValue(layer), dtype, shape: ['B', KV, 'P', D] }),
    });
  }
  const weights = frozenWeights({ g, config, tensors: options.weights, dtype });
  const lora = options.lora === undefined ? undefined : bindLora({ g, config, lora: options.lora, dtype });
  const ctx: LlamaContext = {
    g,
    config,
    dtype,
    weights,
    fused: options.fused ?? true,
    ...(lora === undefined ? {} : { lora }),
    ...(options.quantized === undefined
      ? {}
      : { project: quantizedProjection({ g, quantized: options.quantized }) }),
  };
  const { hidden, present } = llamaForward(ctx, { inputIds, attentionMask, past }); // [B, T, C]
  const last = g.reshape(g.slice(hidden, { starts: [-1], ends: [Number.POSITIVE_INFINITY], axes: [1] }), [
    'B',
    config.hiddenSize,
  ]); // [B, C]
  const logits = llamaLogits(ctx, last); // [B, V]
  g.output(logits, GENERATION_IO.logits);
  // log Σ exp per row: the sampler's log-probs need it, and ORT computes it faster than a JS loop.
  g.output(g.reduceLogSumExp(logits, { axes: [1], keepdims: false }), GENERATION_IO.logsumexp); // [B]
  if (options.allLogits === true) g.output(llamaLogits(ctx, hidden), GENERATION_IO.allLogits); // [B, T, V]
  present.forEach((kv: KvPair, layer) => {
    g.output(kv.key, GENERATION_IO.presentKey(layer));
    g.output(kv.value, GENERATION_IO.presentValue(layer));
  });
  return g;
}
