import type { Value } from '../../graph/ir.ts';
import { type LlamaContext, llamaLogits } from './model.ts';

/**
 * Per-token log-probabilities and entropies of a batch of sequences, aligned with the tokens:
 * entry t is log p(ids[t] | ids[<t]) and the entropy of that next-token distribution, so a loss
 * mask over response tokens applies to both directly. Position 0 has no prediction and holds 0.
 *
 * Logits are divided by `temperature` (a scalar input; 1 = the raw model), so log-probs match the
 * distribution the sampler drew from. Only positions 0..T-2 go through the output head.
 */
export function tokenLogprobs(
  ctx: LlamaContext,
  options: { hidden: Value; inputIds: Value; temperature: Value },
): { logprobs: Value; entropies: Value } {
  const { g, config } = ctx;
  const before = g.slice(options.hidden, { starts: [0], ends: [-1], axes: [1] }); // [B, T-1, C]
  const rows = g.reshape(before, [-1, config.hiddenSize]); // [M, C], M = B·(T-1)
  const logits = g.div(llamaLogits(ctx, rows), options.temperature); // [M, V]
  const logp = g.logSoftmax(logits, { axis: -1 }); // [M, V]
  const targets = g.reshape(
    g.slice(options.inputIds, { starts: [1], ends: [Number.POSITIVE_INFINITY], axes: [1] }),
    [-1, 1],
  ); // [M, 1]
  const picked = g.gatherElements(logp, targets, { axis: 1 }); // [M, 1]
  // H = -Σ p log p over the vocabulary.
  const entropy = g.neg(g.reduceSum(g.mul(g.exp(logp), logp), { axes: [1], keepdims: true })); // [M, 1]
  const aligned = (v: Value) => g.pad(g.reshape(v, ['B', 'T-1']), { begins: [0, 1], ends: [0, 0] }); // [B, T]
  return { logprobs: aligned(picked), entropies: aligned(entropy) };
}
