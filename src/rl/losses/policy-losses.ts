import { GSPO } from './gspo.ts';
import {
  clampedLogRatio,
  clampLogRatio,
  clippedSurrogate,
  clippedSurrogateReference,
  clipRange,
  tokenwise,
} from './ratio.ts';
import { NamedRegistry } from './registry.ts';
import type { Hyperparameter, PolicyLossDef } from './types.ts';

/**
 * Per-token policy-gradient surrogates (minimised). With the importance ratio
 * ρ = exp(log π - log π_old) (log-ratio clamped to ±20, so ρ cannot overflow) and advantage A:
 *   clipped-ratio    max(-A ρ, -A clip(ρ, 1 - ε_low, 1 + ε_high))   PPO/GRPO, with clip-higher
 *                    (DAPO) when ε_high > ε_low
 *   policy-gradient  -A ρ   (no trust region; equals REINFORCE's gradient on-policy)
 *   gspo             the clipped surrogate on the sequence-level ratio (gspo.ts)
 * `clipped` marks tokens where the clipped branch is strictly larger, i.e. where clipping removed
 * the gradient: its token mean is the usual clip fraction.
 */
export { LOG_RATIO_CLAMP } from './ratio.ts';

const CLIP_LOW: Hyperparameter = {
  name: 'clip_low',
  description: 'ε_low: the ratio is clipped below at 1 - ε_low',
  defaultValue: 0.2,
};
const CLIP_HIGH: Hyperparameter = {
  name: 'clip_high',
  description: 'ε_high: the ratio is clipped above at 1 + ε_high (clip-higher when > ε_low)',
  defaultValue: 0.28,
};
const CLIP = { low: CLIP_LOW, high: CLIP_HIGH };

export const CLIPPED_RATIO: PolicyLossDef = {
  name: 'clipped-ratio',
  description: 'PPO/GRPO clipped importance ratio with separate low and high clip',
  hyperparameters: [CLIP_LOW, CLIP_HIGH],
  graph: ({ g, logprobs, oldLogprobs, advantages, hyper }) =>
    clippedSurrogate({
      g,
      ratio: g.exp(clampedLogRatio(g, logprobs, oldLogprobs)), // [B, T]
      advantages,
      clip: clipRange(hyper, CLIP),
    }),
  reference: tokenwise(({ logprob, oldLogprob, advantage, hyper }) =>
    clippedSurrogateReference({
      ratio: Math.exp(clampLogRatio(logprob - oldLogprob)),
      advantage,
      clip: clipRange(hyper, CLIP),
    }),
  ),
};

export const POLICY_GRADIENT: PolicyLossDef = {
  name: 'policy-gradient',
  description: 'importance-weighted policy gradient without clipping',
  hyperparameters: [],
  graph: ({ g, logprobs, oldLogprobs, advantages }) => {
    const ratio = g.exp(clampedLogRatio(g, logprobs, oldLogprobs));
    const loss = g.mul(g.neg(advantages), ratio);
    return { loss, clipped: g.zerosLike(loss) };
  },
  reference: tokenwise(({ logprob, oldLogprob, advantage }) => ({
    loss: -advantage * Math.exp(clampLogRatio(logprob - oldLogprob)),
    clipped: 0,
  })),
};

export const policyLosses = new NamedRegistry<PolicyLossDef>('policy loss', [
  CLIPPED_RATIO,
  POLICY_GRADIENT,
  GSPO,
]);
