import { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import type { LlamaConfig } from '../config.ts';
import type { LoraConfig } from './lora.ts';
import { bindLora, type KvPair, type LlamaContext, llamaForward, llamaLogits } from './model.ts';
import { type QuantizedProjections, quantizedProjection } from './quant/projection.ts';
import { frozenWeights, type WeightTensors } from './weights.ts';

/**
 * The generation graph: one step of prefill or decode over a KV cache kept by the engine. Rows
 * are independent sequences of different lengths; row b has `past_lengths[b]` cached tokens, and
 * the step appends T new tokens after them (prefill: T = the longest prompt, shorter prompts
 * right-padded; decode: T = 1).
 *
 * Inputs
 *   input_ids              int64 [B, T]        new tokens
 *   position_ids           int64 [B, T]        their positions (the row's cached length + index)
 *   past_lengths           int64 [B]           cached tokens per row
 *   logit_rows             int64 [B]           flat index b·T + t of the position whose next token is drawn
 *   past_key.{i}           float32 [B, KV, D, M] per layer i: cached keys, transposed; M = capacity
 *   past_value.{i}         float32 [B, KV, M, D] cached values
 *   inv_temperature        float32 []          1 / sampling temperature (any positive value when greedy)
 *   greedy                 bool []             take the argmax instead of sampling
 *   uniform                float32 [B]         one uniform in [0, 1) per row: the inverse-CDF draw
 *   top_k                  int64 [1]           candidates returned in topk_* (1 when unused)
 *   lora_scale, {w}.lora_a, {w}.lora_b         when built with LoRA (see lora.ts)
 * Outputs
 *   token                  int64 [B]           the drawn token: argmax, or sampled from softmax(logits · inv_temperature)
 *   token_logprob          float32 [B]         its log-prob at temperature 1 (the policy's log-prob)
 *   sampling_logprob       float32 [B]         its log-prob under the sampled distribution (0 when greedy)
 *   topk_values, topk_indices  [B, k]          the k largest logits and their ids, largest first
 *   logits                 float32 [B, V]      at the drawn position of each row
 *   logsumexp              float32 [B]         log Σ exp(logits) of each row
 *   all_logits             float32 [B, T, V]   at every position (only with `allLogits`)
 *   new_key.{i}, new_value.{i}                  the new tokens' keys (after RoPE) and values, [B, KV, T, D]
 *
 * The cache buffers are fed zero-copy and only the new tokens' keys and values come out; the
 * engine writes them into its buffers (see generation/kv-cache.ts), so a decode step copies no
 * cache. Only fetched outputs cross into JavaScript: in-graph sampling (`token`, two log-probs) is
 * a few numbers per row where the logits are the whole vocabulary.
 */
export interface GenerationGraphOptions {
  config: LlamaConfig;
  /** Frozen base weights (float32), by canonical name. */
  weights: WeightTensors;
  lora?: LoraConfig;
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
  positionIds: 'position_ids',
  pastLengths: 'past_lengths',
  logitRows: 'logit_rows',
  pastKey: (layer: number) => `past_key.${layer}`,
  pastValue: (layer: number) => `past_value.${layer}`,
  newKey: (layer: number) => `new_key.${layer}`,
  newValue: (layer: number) => `new_value.${layer}`,
  invTemperature: 'inv_temperature',
  greedy: 'greedy',
  uniform: 'uniform',
  topK: 'top_k',
  token: 'token',
  tokenLogprob: 'token_logprob',
  samplingLogprob: 'sampling_logprob',
  topKValues: 'topk_values',
  topKIndices: 'topk_indices',
  logits: 'logits',
  logsumexp: 'logsumexp',
  allLogits: 'all_logits',
  loraScale: 'lora_scale',
} as const;

export function buildGenerationGraph(options: GenerationGraphOptions): GraphBuilder {
  const { config } = options;
  const dtype = 'float32';
  const g = new GraphBuilder({ name: 'llama_generation' });
  const [KV, D, C] = [config.numKvHeads, config.headDim, config.hiddenSize];
  const inputIds = g.input({ name: GENERATION_IO.inputIds, dtype: 'int64', shape: ['B', 'T'] });
  const positions = g.input({ name: GENERATION_IO.positionIds, dtype: 'int64', shape: ['B', 'T'] });
  const pastLengths = g.input({ name: GENERATION_IO.pastLengths, dtype: 'int64', shape: ['B'] });
  const logitRows = g.input({ name: GENERATION_IO.logitRows, dtype: 'int64', shape: ['B'] });
  const layers: KvPair[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    layers.push({
      key: g.input({ name: GENERATION_IO.pastKey(layer), dtype, shape: ['B', KV, D, 'M'] }),
      value: g.input({ name: GENERATION_IO.pastValue(layer), dtype, shape: ['B', KV, 'M', D] }),
    });
  }
  const weights = frozenWeights({ g, config, tensors: options.weights, dtype });
  const lora = options.lora === undefined ? undefined : bindLora({ g, config, lora: options.lora, dtype });
  const ctx: LlamaContext = {
    g,
    config,
    dtype,
    weights,
    fused: true,
    ...(lora === undefined ? {} : { lora }),
    ...(options.quantized === undefined
      ? {}
      : { project: quantizedProjection({ g, quantized: options.quantized }) }),
  };
  const { hidden, present } = llamaForward(ctx, {
    inputIds,
    cache: { layers, pastLengths, positions },
  }); // [B, T, C]
  const last = g.gather(g.reshape(hidden, [-1, C]), logitRows); // [B, C]
  const logits = llamaLogits(ctx, last); // [B, V]
  g.output(logits, GENERATION_IO.logits);
  samplingHead(g, logits);
  if (options.allLogits === true) g.output(llamaLogits(ctx, hidden), GENERATION_IO.allLogits); // [B, T, V]
  present.forEach((kv: KvPair, layer) => {
    g.output(kv.key, GENERATION_IO.newKey(layer));
    g.output(kv.value, GENERATION_IO.newValue(layer));
  });
  return g;
}

/** Ids per block of the two-level inverse CDF (see samplingHead). */
const CDF_BLOCK = 128;

/**
 * Drawing the next token in the graph, by inverse CDF: with weights w = exp((l - max) / τ) over
 * the vocabulary in id order, the token is the first id whose running sum exceeds u · Σw. Two
 * levels keep it to one pass over the vocabulary: sums of blocks of CDF_BLOCK ids, the block where
 * u · Σw falls, then the running sum inside that block only. Greedy takes the argmax (lowest id on
 * ties). Also outputs log Σ exp(logits) and the k largest logits, for samplers that filter (top-k,
 * top-p).
 */
function samplingHead(g: GraphBuilder, logits: Value): void {
  const invTemperature = g.input({ name: GENERATION_IO.invTemperature, dtype: 'float32', shape: [] });
  const greedy = g.input({ name: GENERATION_IO.greedy, dtype: 'bool', shape: [] });
  const uniform = g.input({ name: GENERATION_IO.uniform, dtype: 'float32', shape: ['B'] });
  const topK = g.input({ name: GENERATION_IO.topK, dtype: 'int64', shape: [1] });
  const V = logits.shape[1] as number;
  const blocks = Math.ceil(V / CDF_BLOCK);
  const max = g.reduceMax(logits, { axes: [1], keepdims: true }); // [B, 1]
  const shifted = g.sub(logits, max); // [B, V]
  const lse = g.add(g.squeeze(max, [1]), g.log(g.reduceSum(g.exp(shifted), { axes: [1], keepdims: false }))); // [B]
  g.output(lse, GENERATION_IO.logsumexp);
  const argmax = g.argMax(logits, { axis: 1, keepdims: false }); // [B]
  const scaled = g.mul(shifted, invTemperature); // [B, V]: log w
  const w = g.exp(scaled); // [B, V]
  const padded =
    V % CDF_BLOCK === 0 ? w : g.pad(w, { begins: [0], ends: [blocks * CDF_BLOCK - V], axes: [1] });
  const weights = g.reshape(padded, ['B', blocks, CDF_BLOCK]); // [B, nb, K], zero weights past V
  const blockSums = g.reduceSum(weights, { axes: [2], keepdims: false }); // [B, nb]
  const blockEnds = g.cumSum(blockSums, { axis: 1 }); // [B, nb]
  const total = g.slice(blockEnds, { starts: [-1], ends: [Number.POSITIVE_INFINITY], axes: [1] }); // [B, 1]
  const target = g.mul(g.unsqueeze(uniform, [1]), total); // [B, 1]
  const countAtMost = (running: Value, bound: Value) =>
    g.reduceSum(g.cast(g.lessOrEqual(running, bound), 'int64'), { axes: [1], keepdims: true }); // [B, 1]
  const block = g.min(countAtMost(blockEnds, target), blocks - 1); // [B, 1]
  const before = g.sub(
    g.gatherElements(blockEnds, block, { axis: 1 }),
    g.gatherElements(blockSums, block, { axis: 1 }),
  ); // [B, 1]
  const picked = g.gatherElements(weights, g.expand(g.unsqueeze(block, [2]), ['B', 1, CDF_BLOCK]), {
    axis: 1,
  }); // [B, 1, K]
  const inside = g.cumSum(g.squeeze(picked, [1]), { axis: 1 }); // [B, K]
  const offset = countAtMost(inside, g.sub(target, before)); // [B, 1]
  // u · Σw rounding up to Σw would step past the last id: take the last one.
  const sampled = g.squeeze(g.min(g.add(g.mul(block, CDF_BLOCK), offset), V - 1), [1]); // [B]
  const token = g.where({ cond: greedy, ifTrue: argmax, ifFalse: sampled }); // [B]
  g.output(token, GENERATION_IO.token);
  const pick = (t: Value) => g.squeeze(g.gatherElements(t, g.unsqueeze(token, [1]), { axis: 1 }), [1]); // [B]
  g.output(g.sub(pick(logits), lse), GENERATION_IO.tokenLogprob);
  const samplingLogprob = g.sub(pick(scaled), g.squeeze(g.log(total), [1])); // log(w_t / Σw)
  g.output(
    g.where({ cond: greedy, ifTrue: g.scalar(0, 'float32'), ifFalse: samplingLogprob }),
    GENERATION_IO.samplingLogprob,
  );
  const top = g.topK(logits, { k: topK, axis: 1 });
  g.output(top.values, GENERATION_IO.topKValues);
  g.output(top.indices, GENERATION_IO.topKIndices);
}
