import type { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { type LlamaConfig, layerWeightName } from '../config.ts';
import { type LoraConfig, loraFactor, loraSlots } from './lora.ts';
import { applyFusedRope, applyRope, type RopeContext, ropeContext } from './rope.ts';
import type { FloatType, WeightBinding } from './weights.ts';

/**
 * The Llama-family transformer (Llama, SmolLM, Qwen2/3), written once against the graph builder and
 * used by every graph: generation with a KV cache, log-probs and the training step.
 *
 * Shapes: B batch, T new tokens, P cached tokens, L = P + T keys, N = B·T rows, C hidden size,
 * H query heads, KV key/value heads, G = H / KV query heads per KV head, D head size, F MLP size,
 * V vocabulary. Weights are canonical [out, in] matrices; `linear` multiplies by their transpose
 * with Gemm(transB), so no transposed copies exist.
 *
 * Two forms of the same math: primitives (differentiable, float32 or float64) and, for float32
 * inference, ORT's fused RMSNormalization / RotaryEmbedding / Attention (`fused: true`).
 */
export interface LlamaContext {
  readonly g: GraphBuilder;
  readonly config: LlamaConfig;
  readonly dtype: FloatType;
  readonly weights: WeightBinding;
  readonly lora?: LoraBinding;
  readonly fused: boolean;
  /**
   * Computes x Wᵀ for a base weight instead of Gemm(transB) when it returns a value: the hook for
   * quantised inference projections (x [N, in] -> [N, out]). Biases and LoRA are added after it.
   */
  readonly project?: (x: Value, weight: string) => Value | undefined;
}

/** The LoRA graph inputs: `lora_scale` and an (A, B) pair per adapted weight. */
export interface LoraBinding {
  /** The `lora_scale` input [] (1 = policy, 0 = reference model). */
  readonly scaleInput: Value;
  /** lora_scale · alpha / rank, the factor applied to the rank-r activations. */
  readonly scale: Value;
  /** By adapted weight name: A [r, in], B [out, r]. */
  readonly adapters: ReadonlyMap<string, { a: Value; b: Value }>;
  /** Every A and B input, in `loraSlots` order. */
  readonly inputs: readonly Value[];
}

export function bindLora(options: {
  g: GraphBuilder;
  config: LlamaConfig;
  lora: LoraConfig;
  dtype: FloatType;
}): LoraBinding {
  const { g, dtype } = options;
  const scaleInput = g.input({ name: 'lora_scale', dtype, shape: [] });
  const adapters = new Map<string, { a: Value; b: Value }>();
  const inputs: Value[] = [];
  for (const slot of loraSlots(options)) {
    const a = g.input({ name: slot.aName, dtype, shape: slot.aShape });
    const b = g.input({ name: slot.bName, dtype, shape: slot.bShape });
    adapters.set(slot.weight, { a, b });
    inputs.push(a, b);
  }
  return { scaleInput, scale: g.mul(scaleInput, loraFactor(options.lora)), adapters, inputs };
}

/** A layer's keys and values (after RoPE, before query heads share them). */
export interface KvPair {
  readonly key: Value;
  readonly value: Value;
}

/** x W^T (+ bias) (+ scale · (x A^T) B^T): [N, in] -> [N, out]. */
function linear(ctx: LlamaContext, x: Value, weight: string, bias?: string): Value {
  const { g } = ctx;
  const projected = ctx.project?.(x, weight);
  const c = bias === undefined ? {} : { c: ctx.weights.get(bias) };
  let y: Value; // [N, out]
  if (projected === undefined) y = g.gemm({ a: x, b: ctx.weights.get(weight), transB: true, ...c });
  else y = c.c === undefined ? projected : g.add(projected, c.c);
  const adapter = ctx.lora?.adapters.get(weight);
  if (adapter === undefined || ctx.lora === undefined) return y;
  const down = g.mul(g.gemm({ a: x, b: adapter.a, transB: true }), ctx.lora.scale); // [N, r]
  return g.add(y, g.gemm({ a: down, b: adapter.b, transB: true })); // [N, out]
}

/** x / sqrt(mean(x², last axis) + eps) · weight, same shape. */
function rmsNorm(ctx: LlamaContext, x: Value, weight: string): Value {
  const scale = ctx.weights.get(weight);
  const eps = ctx.config.rmsEps;
  if (ctx.fused) return ctx.g.rmsNormalization(x, { scale, epsilon: eps });
  return ctx.g.rmsNorm({ x, weight: scale, eps });
}

/** [N, heads·D] -> [B, heads, T, D]. */
function splitHeads(ctx: LlamaContext, x: Value, heads: number): Value {
  const D = ctx.config.headDim;
  return ctx.g.transpose(ctx.g.reshape(x, ['B', 'T', heads, D]), [0, 2, 1, 3]);
}

function rope(ctx: LlamaContext, x: Value, r: RopeContext): Value {
  const { ropeStyle: style, headDim, ropeDim } = ctx.config;
  const args = { g: ctx.g, x, rope: r, style, headDim, ropeDim };
  return ctx.fused ? applyFusedRope(args) : applyRope(args);
}

/**
 * Grouped-query attention from primitives. q [B, H, T, D], k/v [B, KV, L, D], additive mask
 * [B, 1, T, L] (0 where allowed, -1e9 elsewhere) -> [B, H, T, D]. Query heads are grouped as
 * [B, KV, G, T, D] so that each KV head broadcasts over its G query heads without being copied.
 */
function sdpa(ctx: LlamaContext, q: Value, k: Value, v: Value, mask: Value): Value {
  const { g, config } = ctx;
  const [H, KV, D] = [config.numHeads, config.numKvHeads, config.headDim];
  const qg = g.reshape(q, ['B', KV, H / KV, 'T', D]); // [B, KV, G, T, D]
  const kt = g.unsqueeze(g.transpose(k, [0, 1, 3, 2]), [2]); // [B, KV, 1, D, L]
  const scores = g.matmul(g.mul(qg, 1 / Math.sqrt(D)), kt); // [B, KV, G, T, L]
  const probs = g.softmax(g.add(scores, g.unsqueeze(mask, [1])), { axis: -1 }); // [B, KV, G, T, L]
  const y = g.matmul(probs, g.unsqueeze(v, [2])); // [B, KV, G, T, D]
  return g.reshape(y, ['B', H, 'T', D]); // [B, H, T, D]
}

/** q, k, v projections of one layer, [N, heads·D] each, q/k normed per head when the model does. */
function projectQkv(ctx: LlamaContext, x: Value, layer: number) {
  const { g, config } = ctx;
  const [H, KV, D] = [config.numHeads, config.numKvHeads, config.headDim];
  const name = (suffix: string) => layerWeightName(layer, suffix);
  const bias = (p: string) => (config.qkvBias ? name(`${p}.bias`) : undefined);
  let q = linear(ctx, x, name('attn_q.weight'), bias('attn_q')); // [N, H·D]
  let k = linear(ctx, x, name('attn_k.weight'), bias('attn_k')); // [N, KV·D]
  const v = linear(ctx, x, name('attn_v.weight'), bias('attn_v')); // [N, KV·D]
  if (config.qkNorm) {
    const perHead = (t: Value, heads: number, weight: string) =>
      g.reshape(rmsNorm(ctx, g.reshape(t, [-1, heads, D]), name(weight)), [-1, heads * D]);
    q = perHead(q, H, 'attn_q_norm.weight');
    k = perHead(k, KV, 'attn_k_norm.weight');
  }
  return { q, k, v };
}

/** One attention sub-block over the whole sequence (no cache): [N, C] -> [N, C]. */
function attention(ctx: LlamaContext, x: Value, layer: number, r: RopeContext, mask: Value): Value {
  const { g, config } = ctx;
  const [H, KV, D] = [config.numHeads, config.numKvHeads, config.headDim];
  const qkv = projectQkv(ctx, x, layer);
  const q = rope(ctx, splitHeads(ctx, qkv.q, H), r); // [B, H, T, D]
  const k = rope(ctx, splitHeads(ctx, qkv.k, KV), r); // [B, KV, T, D]
  const v = splitHeads(ctx, qkv.v, KV); // [B, KV, T, D]
  const heads = ctx.fused
    ? g.attention({ q, k, v, mask, scale: 1 / Math.sqrt(D) }).y // [B, H, T, D]
    : sdpa(ctx, q, k, v, mask);
  const merged = g.reshape(g.transpose(heads, [0, 2, 1, 3]), [-1, H * D]); // [N, H·D]
  return linear(ctx, merged, layerWeightName(layer, 'attn_output.weight'));
}

/**
 * A KV cache held outside the graph: per layer the cached keys (transposed, [B, KV, D, M]) and
 * values ([B, KV, M, D]) of every row, M the buffers' capacity, of which row b uses the first
 * `pastLengths[b]`. The graph reads them (zero-copy inputs) and returns only the new tokens' keys
 * and values, which the engine writes into the buffers: no cache is concatenated or copied.
 */
export interface KvCacheBinding {
  readonly layers: readonly KvPair[];
  /** int64 [B]: cached tokens per row. */
  readonly pastLengths: Value;
  /** int64 [B, T]: position of every new token (its row's cached length + its index). */
  readonly positions: Value;
}

/**
 * One attention sub-block over new tokens with the cache: [N, C] -> [N, C], plus the new tokens'
 * keys (after RoPE) and values [B, KV, T, D]. Each query attends to its row's cached tokens
 * (masked beyond the row's length) and, causally, to the new tokens; one softmax spans both.
 * Query heads are grouped [B, KV, G·T, D] so each KV head serves its G query heads uncopied.
 */
function cachedAttention(
  ctx: LlamaContext,
  x: Value,
  layer: number,
  r: RopeContext,
  cache: KvCacheBinding,
  masks: { past: Value; causal: Value },
): { y: Value; present: KvPair } {
  const { g, config } = ctx;
  const [H, KV, D] = [config.numHeads, config.numKvHeads, config.headDim];
  const G = H / KV;
  const qkv = projectQkv(ctx, x, layer);
  const q = rope(ctx, splitHeads(ctx, qkv.q, H), r); // [B, H, T, D]
  const k = rope(ctx, splitHeads(ctx, qkv.k, KV), r); // [B, KV, T, D]
  const v = splitHeads(ctx, qkv.v, KV); // [B, KV, T, D]
  const past = cache.layers[layer] as KvPair;
  const qg = g.reshape(g.mul(q, 1 / Math.sqrt(D)), ['B', KV, -1, D]); // [B, KV, G·T, D]
  const scoresPast = g.add(g.matmul(qg, past.key), masks.past); // [B, KV, G·T, M]
  const scoresNew = g.reshape(
    g.add(g.reshape(g.matmul(qg, g.transpose(k, [0, 1, 3, 2])), ['B', KV, G, 'T', 'T']), masks.causal),
    ['B', KV, -1, 'T'],
  ); // [B, KV, G·T, T]
  const probs = g.softmax(g.concat([scoresPast, scoresNew], { axis: -1 }), { axis: -1 }); // [B, KV, G·T, M+T]
  const M = past.value.shape[2] as string;
  const [probsPast, probsNew] = g.split(probs, { axis: -1, sizes: [M, 'T'] }) as [Value, Value];
  const y = g.add(g.matmul(probsPast, past.value), g.matmul(probsNew, v)); // [B, KV, G·T, D]
  const heads = g.reshape(y, ['B', H, 'T', D]); // [B, H, T, D]
  const merged = g.reshape(g.transpose(heads, [0, 2, 1, 3]), [-1, H * D]); // [N, H·D]
  return {
    y: linear(ctx, merged, layerWeightName(layer, 'attn_output.weight')),
    present: { key: k, value: v },
  };
}

/** Additive masks of cached attention: past [B, 1, 1, M] (j < row length) and causal [T, T]. */
function cacheMasks(ctx: LlamaContext, cache: KvCacheBinding) {
  const { g } = ctx;
  const M = (cache.layers[0] as KvPair).value.shape[2] as string;
  const zero = g.scalar(0, ctx.dtype);
  const additive = (allowed: Value) => g.where({ cond: allowed, ifTrue: zero, ifFalse: -1e9 });
  const cached = g.less(
    g.unsqueeze(g.range({ start: 0, limit: M }), [0]),
    g.unsqueeze(cache.pastLengths, [1]),
  ); // [B, M]
  const at = g.range({ start: 0, limit: 'T' }); // [T]
  const causal = g.lessOrEqual(g.unsqueeze(at, [0]), g.unsqueeze(at, [1])); // [T, T]: key <= query
  return { past: g.unsqueeze(additive(cached), [1, 2]), causal: additive(causal) };
}

/** SwiGLU MLP: down(silu(gate x) ⊙ up x), [N, C] -> [N, C]. */
function mlp(ctx: LlamaContext, x: Value, layer: number): Value {
  const { g } = ctx;
  const name = (suffix: string) => layerWeightName(layer, suffix);
  const gate = linear(ctx, x, name('ffn_gate.weight')); // [N, F]
  const up = linear(ctx, x, name('ffn_up.weight')); // [N, F]
  return linear(ctx, g.mul(g.silu(gate), up), name('ffn_down.weight')); // [N, C]
}

/** Pre-norm residual block: h = x + attn(norm x); out = h + mlp(norm h). [N, C] -> [N, C]. */
function block(
  ctx: LlamaContext,
  x: Value,
  layer: number,
  attend: (normed: Value) => { y: Value; present?: KvPair },
): { out: Value; present?: KvPair } {
  const { g } = ctx;
  const attn = attend(rmsNorm(ctx, x, layerWeightName(layer, 'attn_norm.weight')));
  const h = g.add(x, attn.y); // [N, C]
  const out = g.add(h, mlp(ctx, rmsNorm(ctx, h, layerWeightName(layer, 'ffn_norm.weight')), layer)); // [N, C]
  return attn.present === undefined ? { out } : { out, present: attn.present };
}

/**
 * Positions and the additive attention mask from the padding mask `attentionMask` [B, T] (int64,
 * 1 = real token, 0 = padding). A token's position is the number of real tokens before it, so left
 * padding shifts nothing (pads get position 0). Query t may attend to key j when j <= t and key j
 * is real; rows of padding queries see only masked keys, which -1e9 (not -inf) keeps finite.
 */
function positionsAndMask(ctx: LlamaContext, attentionMask: Value) {
  const { g } = ctx;
  const T = attentionMask.shape[1] as string;
  const positions = g.max(g.sub(g.cumSum(attentionMask, { axis: 1 }), 1), 0); // [B, T]
  const at = g.range({ start: 0, limit: T }); // [T]
  const causal = g.lessOrEqual(g.unsqueeze(at, [0]), g.unsqueeze(at, [1])); // [T, T]
  const allowed = g.and(causal, g.unsqueeze(g.equal(attentionMask, 1), [1])); // [B, T, T]
  const zero = g.scalar(0, ctx.dtype);
  const mask = g.unsqueeze(g.where({ cond: allowed, ifTrue: zero, ifFalse: -1e9 }), [1]); // [B, 1, T, T]
  return { positions, mask };
}

/**
 * The transformer body: token ids [B, T] (int64) -> final-normed hidden states [B, T, C].
 * Without a cache every token of the padded batch is computed (`attentionMask` [B, T] gives the
 * padding); with `cache` the tokens are new ones appended to each row's cached tokens, and the
 * present cache of every layer is returned (written in place of the past, see KvCacheBinding).
 */
export function llamaForward(
  ctx: LlamaContext,
  options: { inputIds: Value; attentionMask: Value } | { inputIds: Value; cache: KvCacheBinding },
): { hidden: Value; present: KvPair[] } {
  const { g, config } = ctx;
  const C = config.hiddenSize;
  let attend: (normed: Value, layer: number) => { y: Value; present?: KvPair };
  let positions: Value;
  if ('cache' in options) {
    const { cache } = options;
    positions = cache.positions;
    const r = ropeContext({ g, config, dtype: ctx.dtype, positions });
    const masks = cacheMasks(ctx, cache);
    attend = (normed, layer) => cachedAttention(ctx, normed, layer, r, cache, masks);
  } else {
    const pm = positionsAndMask(ctx, options.attentionMask);
    positions = pm.positions;
    const r = ropeContext({ g, config, dtype: ctx.dtype, positions });
    attend = (normed, layer) => ({ y: attention(ctx, normed, layer, r, pm.mask) });
  }
  let x = g.reshape(g.gather(ctx.weights.get('token_embd.weight'), options.inputIds), [-1, C]); // [N, C]
  const present: KvPair[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    const out = block(ctx, x, layer, (normed) => attend(normed, layer));
    x = out.out;
    if (out.present !== undefined) present.push(out.present);
  }
  const hidden = g.reshape(rmsNorm(ctx, x, 'output_norm.weight'), ['B', 'T', C]); // [B, T, C]
  return { hidden, present };
}

/** The output head: hidden [..., C] -> logits [..., V], with the tied embedding or `output.weight`. */
export function llamaLogits(ctx: LlamaContext, hidden: Value): Value {
  const { g, config } = ctx;
  const head = config.tiedEmbeddings ? 'token_embd.weight' : 'output.weight'; // [V, C]
  const rows = hidden.shape.length === 2 ? hidden : g.reshape(hidden, [-1, config.hiddenSize]); // [M, C]
  const logits = ctx.project?.(rows, head) ?? g.gemm({ a: rows, b: ctx.weights.get(head), transB: true }); // [M, V]
  if (hidden.shape.length === 2) return logits;
  return g.reshape(logits, [...hidden.shape.slice(0, -1), config.vocabSize]); // [..., V]
}
