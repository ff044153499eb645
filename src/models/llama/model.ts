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

/** A layer's key/value cache, [B, KV, P, D] each (after RoPE, before GQA sharing). */
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

/** One attention sub-block: [N, C] -> [N, C], plus this layer's present KV [B, KV, L, D]. */
function attention(
  ctx: LlamaContext,
  x: Value,
  layer: number,
  r: RopeContext,
  mask: Value,
  past: KvPair | undefined,
): { y: Value; present: KvPair } {
  const { g, config } = ctx;
  const [H, KV, D] = [config.numHeads, config.numKvHeads, config.headDim];
  const name = (suffix: string) => layerWeightName(layer, suffix);
  const bias = (p: string) => (config.qkvBias ? name(`${p}.bias`) : undefined);
  let q = splitHeads(ctx, linear(ctx, x, name('attn_q.weight'), bias('attn_q')), H); // [B, H, T, D]
  let k = splitHeads(ctx, linear(ctx, x, name('attn_k.weight'), bias('attn_k')), KV); // [B, KV, T, D]
  let v = splitHeads(ctx, linear(ctx, x, name('attn_v.weight'), bias('attn_v')), KV); // [B, KV, T, D]
  if (config.qkNorm) {
    q = rmsNorm(ctx, q, name('attn_q_norm.weight'));
    k = rmsNorm(ctx, k, name('attn_k_norm.weight'));
  }
  q = rope(ctx, q, r);
  k = rope(ctx, k, r);
  if (past !== undefined) {
    k = g.concat([past.key, k], { axis: 2 }); // [B, KV, L, D]
    v = g.concat([past.value, v], { axis: 2 });
  }
  const heads = ctx.fused
    ? g.attention({ q, k, v, mask, scale: 1 / Math.sqrt(D) }).y // [B, H, T, D]
    : sdpa(ctx, q, k, v, mask);
  const merged = g.reshape(g.transpose(heads, [0, 2, 1, 3]), [-1, H * D]); // [N, H·D]
  return { y: linear(ctx, merged, name('attn_output.weight')), present: { key: k, value: v } };
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
function block(ctx: LlamaContext, x: Value, layer: number, r: RopeContext, mask: Value, past?: KvPair) {
  const { g } = ctx;
  const attn = attention(
    ctx,
    rmsNorm(ctx, x, layerWeightName(layer, 'attn_norm.weight')),
    layer,
    r,
    mask,
    past,
  );
  const h = g.add(x, attn.y); // [N, C]
  const out = g.add(h, mlp(ctx, rmsNorm(ctx, h, layerWeightName(layer, 'ffn_norm.weight')), layer)); // [N, C]
  return { out, present: attn.present };
}

/**
 * Positions and the additive attention mask from the padding mask. `attentionMask` [B, L] (int64,
 * 1 = real token, 0 = padding) covers the cached and the new tokens. A token's position is the
 * number of real tokens before it, so left padding shifts nothing (pads get position 0). Query t
 * (absolute index P + t) may attend to key j when j <= P + t and key j is real; rows of padding
 * queries see only masked keys, which -1e9 (not -inf) keeps finite.
 */
function positionsAndMask(ctx: LlamaContext, attentionMask: Value, cached: boolean) {
  const { g } = ctx;
  const L = attentionMask.shape[1] as string;
  const all = g.max(g.sub(g.cumSum(attentionMask, { axis: 1 }), 1), 0); // [B, L]
  const past = cached ? g.squeeze(g.dim('P'), [0]) : undefined; // [] int64
  const queryAt =
    past === undefined ? g.range({ start: 0, limit: 'T' }) : g.add(g.range({ start: 0, limit: 'T' }), past); // [T]
  const positions = past === undefined ? all : g.gather(all, queryAt, { axis: 1 }); // [B, T]
  const causal = g.lessOrEqual(g.unsqueeze(g.range({ start: 0, limit: L }), [0]), g.unsqueeze(queryAt, [1])); // [T, L]
  const allowed = g.and(causal, g.unsqueeze(g.equal(attentionMask, 1), [1])); // [B, T, L]
  const zero = g.scalar(0, ctx.dtype);
  const mask = g.unsqueeze(g.where({ cond: allowed, ifTrue: zero, ifFalse: -1e9 }), [1]); // [B, 1, T, L]
  return { positions, mask };
}

/**
 * The transformer body: token ids [B, T] (int64) -> final-normed hidden states [B, T, C], and
 * the present KV cache per layer when `past` is given (P may be 0 for prefill).
 */
export function llamaForward(
  ctx: LlamaContext,
  options: { inputIds: Value; attentionMask: Value; past?: readonly KvPair[] },
): { hidden: Value; present: KvPair[] } {
  const { g, config } = ctx;
  const C = config.hiddenSize;
  const { positions, mask } = positionsAndMask(ctx, options.attentionMask, options.past !== undefined);
  const r = ropeContext({ g, config, dtype: ctx.dtype, positions });
  let x = g.reshape(g.gather(ctx.weights.get('token_embd.weight'), options.inputIds), [-1, C]); // [N, C]
  const present: KvPair[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    const out = block(ctx, x, layer, r, mask, options.past?.[layer]);
    x = out.out;
    present.push(out.present);
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
