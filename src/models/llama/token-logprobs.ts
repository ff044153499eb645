import { freshDim } from '../../graph/dims.ts';
import type { OpDef, Value } from '../../graph/ir.ts';
import { input } from '../../graph/ops/common.ts';
import { getOp, registerOp } from '../../graph/ops/index.ts';
import { fromValues } from '../../graph/tensor.ts';
import { type LlamaContext, llamaLogits } from './model.ts';

/**
 * Per-token log-probabilities and entropies of a batch of sequences, aligned with the tokens:
 * entry t is log p(ids[t] | ids[<t]) and the entropy of that next-token distribution, so a loss
 * mask over response tokens applies to both directly. Position 0 has no prediction and holds 0.
 *
 * Logits are divided by `temperature` (a scalar input; 1 = the raw model), so log-probs match the
 * distribution the sampler drew from. Only positions 0..T-2 go through the output head; with
 * `lossMask` only the positions the loss covers do (see `scoredLogprobs`).
 */
export function tokenLogprobs(
  ctx: LlamaContext,
  options: { hidden: Value; inputIds: Value; temperature: Value; lossMask?: Value },
): { logprobs: Value; entropies: Value } {
  if (options.lossMask !== undefined) return scoredLogprobs(ctx, { ...options, lossMask: options.lossMask });
  const { g, config } = ctx;
  const before = g.slice(options.hidden, { starts: [0], ends: [-1], axes: [1] }); // [B, T-1, C]
  const rows = g.reshape(before, [-1, config.hiddenSize]); // [M, C], M = B·(T-1)
  const targets = g.reshape(
    g.slice(options.inputIds, { starts: [1], ends: [Number.POSITIVE_INFINITY], axes: [1] }),
    [-1, 1],
  ); // [M, 1]
  const { picked, entropy } = headLogprobs(ctx, { rows, targets, temperature: options.temperature }); // [M, 1]
  const aligned = (v: Value) => g.pad(g.reshape(v, ['B', 'T-1']), { begins: [0, 1], ends: [0, 0] }); // [B, T]
  return { logprobs: aligned(picked), entropies: aligned(entropy) };
}

/** log-softmax(rows Wᵀ / temperature) at the targets, and the entropies: [R, C], [R, 1] -> [R, 1] each. */
function headLogprobs(
  ctx: LlamaContext,
  options: { rows: Value; targets: Value; temperature: Value },
): { picked: Value; entropy: Value } {
  const { g } = ctx;
  const logits = g.div(llamaLogits(ctx, options.rows), options.temperature); // [R, V]
  const logp = g.logSoftmax(logits, { axis: -1 }); // [R, V]
  const picked = g.gatherElements(logp, options.targets, { axis: 1 }); // [R, 1]
  // H = -Σ p log p over the vocabulary.
  const entropy = g.neg(g.reduceSum(g.mul(g.exp(logp), logp), { axes: [1], keepdims: true })); // [R, 1]
  return { picked, entropy };
}

/**
 * The same quantities at loss positions only (`lossMask` [B, T] != 0, t >= 1), 0 elsewhere. The
 * output head and the [rows, V] log-softmax are the costliest part of a training step on a model
 * with a large vocabulary; here they run on R scored rows instead of B·(T-1). The scored positions
 * are found in the graph (NonZero), so callers feed nothing new:
 *   pos [R]     flat indices b·T + t of scored tokens; the hidden row predicting each is pos - 1
 *   slot [B·T]  1 + (rank of the position among scored ones), 0 where not scored
 * and the [R] results are placed back by gathering from [0, r_1, ..., r_R] at `slot` (Gather has a
 * gradient rule; so the scatter needs none).
 */
function scoredLogprobs(
  ctx: LlamaContext,
  options: { hidden: Value; inputIds: Value; temperature: Value; lossMask: Value },
): { logprobs: Value; entropies: Value } {
  const { g, config } = ctx;
  const { lossMask } = options;
  // Position 0 has no prediction: drop its column and pad it back as 0.
  const mask = g.pad(g.slice(lossMask, { starts: [1], ends: [Number.POSITIVE_INFINITY], axes: [1] }), {
    begins: [0, 1],
    ends: [0, 0],
  }); // [B, T]
  const scored = g.greater(g.reshape(mask, [-1]), 0); // [B·T] bool
  const pos = g.reshape(g.node({ op: NON_ZERO.name, inputs: [scored] })[0] as Value, [-1]); // [R]
  const flags = g.cast(scored, 'int64'); // [B·T]
  const slot = g.mul(g.cumSum(flags, { axis: 0 }), flags); // [B·T]
  const rows = g.gather(g.reshape(options.hidden, [-1, config.hiddenSize]), g.sub(pos, 1)); // [R, C]
  const targets = g.unsqueeze(g.gather(g.reshape(options.inputIds, [-1]), pos), [1]); // [R, 1]
  const { picked, entropy } = headLogprobs(ctx, { rows, targets, temperature: options.temperature }); // [R, 1]
  const zero = g.constant(fromValues({ dtype: ctx.dtype, dims: [1], values: [0] })); // [1]
  const place = (v: Value) =>
    g.reshape(g.gather(g.concat([zero, g.reshape(v, [-1])], { axis: 0 }), slot), ['B', 'T']); // [B, T]
  return { logprobs: place(picked), entropies: place(entropy) };
}

/**
 * ONNX NonZero: indices of the non-zero entries, [rank, count] int64 (count known at run time).
 * Index arithmetic only, so no gradient flows through it.
 */
const NON_ZERO: OpDef = {
  name: 'NonZero',
  infer: (args) => [{ dtype: 'int64', shape: [input(args, 0).shape.length, freshDim()] }],
  grad: 'none',
};

try {
  getOp(NON_ZERO.name);
} catch {
  registerOp(NON_ZERO);
}
