import {
  clampedLogRatio,
  clampLogRatio,
  clippedSurrogate,
  clippedSurrogateReference,
  clipRange,
} from './ratio.ts';
import type { Hyperparameter, PolicyLossDef } from './types.ts';

/**
 * GSPO (group sequence policy optimisation): one importance ratio per response, the geometric mean
 * of its tokens' ratios, clipped as a whole:
 *   s = exp( Σ_t m_t·clamp(log π_t - log π_old,t) / max(Σ_t m_t, 1) )   over response tokens (m = 1)
 *   l_t = max(-A_t s_t, -A_t clip(s_t, 1 - ε_low, 1 + ε_high))
 * in the method's token form: s_t = sg[s] · π_t / sg[π_t] has the value of s and the gradient of
 * the token's own log-prob, ∂s_t/∂log π_t = s. With one advantage per sequence this is GSPO's
 * gradient exactly, under token-mean and sequence-mean alike (a sequence's tokens all carry the
 * same loss value, and the gradient of s through the mean is s·m_t/|y| per token); with per-token
 * advantages each token keeps its own. The method's objective averages per sequence: pair it
 * with `lossAggregation: sequence-mean`.
 *
 * The clip ranges are those the method's authors report for their experiments: 3e-4 below and
 * 4e-4 above, some 500 to 700 times smaller than PPO's 0.2/0.28, because a length-normalised
 * sequence ratio stays much closer to 1 than a token's. Far more tokens are clipped than under
 * PPO (whole responses at a time); that is expected.
 */
export const GSPO_CLIP_LOW: Hyperparameter = {
  name: 'gspo_clip_low',
  description: 'ε_low of the sequence-level ratio: clipped below at 1 - ε_low',
  defaultValue: 3e-4,
};
export const GSPO_CLIP_HIGH: Hyperparameter = {
  name: 'gspo_clip_high',
  description: 'ε_high of the sequence-level ratio: clipped above at 1 + ε_high',
  defaultValue: 4e-4,
};
const CLIP = { low: GSPO_CLIP_LOW, high: GSPO_CLIP_HIGH };

export const GSPO: PolicyLossDef = {
  name: 'gspo',
  description: 'sequence-level importance ratio (geometric mean over the response) with sequence clipping',
  hyperparameters: [GSPO_CLIP_LOW, GSPO_CLIP_HIGH],
  graph: ({ g, logprobs, oldLogprobs, advantages, mask, hyper }) => {
    const logRatio = g.mul(clampedLogRatio(g, logprobs, oldLogprobs), mask); // [B, T], 0 off the response
    const tokens = g.max(g.reduceSum(mask, { axes: [1], keepdims: true }), 1); // [B, 1]
    const sequenceLogRatio = g.div(g.reduceSum(logRatio, { axes: [1], keepdims: true }), tokens); // [B, 1]
    // log s_t = sg[log s] + log π_t - sg[log π_t]: the value of log s, the gradient of log π_t.
    const own = g.sub(logprobs, g.stopGradient(logprobs)); // [B, T], value 0
    const ratio = g.exp(g.add(g.stopGradient(sequenceLogRatio), own)); // [B, T]
    return clippedSurrogate({ g, ratio, advantages, clip: clipRange(hyper, CLIP) });
  },
  reference: ({ logprobs, oldLogprobs, advantages, mask, hyper }) => {
    let sum = 0;
    let tokens = 0;
    logprobs.forEach((lp, t) => {
      const m = mask[t] ?? 0;
      sum += m * clampLogRatio(lp - (oldLogprobs[t] as number));
      tokens += m;
    });
    const ratio = Math.exp(sum / Math.max(tokens, 1));
    const clip = clipRange(hyper, CLIP);
    const out = advantages.map((advantage) => clippedSurrogateReference({ ratio, advantage, clip }));
    return { loss: out.map((o) => o.loss), clipped: out.map((o) => o.clipped) };
  },
};
