import { ValidationError } from '../../util/errors.ts';
import { NamedRegistry } from './registry.ts';
import type { Hyperparameter, PolicyLossDef } from './types.ts';

/**
 * Per-token policy-gradient surrogates (minimised). With the importance ratio
 * ρ = exp(log π - log π_old) (log-ratio clamped to ±20, so ρ cannot overflow) and advantage A:
 *   clipped-ratio    max(-A ρ, -A clip(ρ, 1 - ε_low, 1 + ε_high))   PPO/GRPO, with clip-higher
 *                    (DAPO) when ε_high > ε_low
 *   policy-gradient  -A ρ   (no trust region; equals REINFORCE's gradient on-policy)
 * `clipped` marks tokens where the clipped branch is strictly larger, i.e. where clipping removed
 * the gradient: its token mean is the usual clip fraction.
 */
export const LOG_RATIO_CLAMP = 20;

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

function requireHyper<T>(hyper: Readonly<Record<string, T>>, name: string): T {
  const v = hyper[name];
  if (v === undefined) throw new ValidationError(`policy loss hyperparameter '${name}' is missing`);
  return v;
}

const clampLogRatio = (x: number) => Math.min(Math.max(x, -LOG_RATIO_CLAMP), LOG_RATIO_CLAMP);

export const CLIPPED_RATIO: PolicyLossDef = {
  name: 'clipped-ratio',
  description: 'PPO/GRPO clipped importance ratio with separate low and high clip',
  hyperparameters: [CLIP_LOW, CLIP_HIGH],
  graph: ({ g, logprobs, oldLogprobs, advantages, hyper }) => {
    const clipLow = requireHyper(hyper, CLIP_LOW.name);
    const clipHigh = requireHyper(hyper, CLIP_HIGH.name);
    const logRatio = g.min(g.max(g.sub(logprobs, oldLogprobs), -LOG_RATIO_CLAMP), LOG_RATIO_CLAMP); // [B, T]
    const ratio = g.exp(logRatio);
    const bounded = g.min(g.max(ratio, g.sub(1, clipLow)), g.add(clipHigh, 1)); // clip(ρ, 1-εl, 1+εh)
    const negA = g.neg(advantages);
    const unclipped = g.mul(negA, ratio);
    const clipped = g.mul(negA, bounded);
    return {
      loss: g.max(unclipped, clipped),
      clipped: g.cast(g.greater(clipped, unclipped), logprobs.dtype),
    };
  },
  reference: ({ logprob, oldLogprob, advantage, hyper }) => {
    const ratio = Math.exp(clampLogRatio(logprob - oldLogprob));
    const clipLow = requireHyper(hyper, CLIP_LOW.name);
    const clipHigh = requireHyper(hyper, CLIP_HIGH.name);
    const bounded = Math.min(Math.max(ratio, 1 - clipLow), 1 + clipHigh);
    const unclipped = -advantage * ratio;
    const clipped = -advantage * bounded;
    return { loss: Math.max(unclipped, clipped), clipped: clipped > unclipped ? 1 : 0 };
  },
};

export const POLICY_GRADIENT: PolicyLossDef = {
  name: 'policy-gradient',
  description: 'importance-weighted policy gradient without clipping',
  hyperparameters: [],
  graph: ({ g, logprobs, oldLogprobs, advantages }) => {
    const ratio = g.exp(g.min(g.max(g.sub(logprobs, oldLogprobs), -LOG_RATIO_CLAMP), LOG_RATIO_CLAMP));
    const loss = g.mul(g.neg(advantages), ratio);
    return { loss, clipped: g.zerosLike(loss) };
  },
  reference: ({ logprob, oldLogprob, advantage }) => ({
    loss: -advantage * Math.exp(clampLogRatio(logprob - oldLogprob)),
    clipped: 0,
  }),
};

export const policyLosses = new NamedRegistry<PolicyLossDef>('policy loss', [CLIPPED_RATIO, POLICY_GRADIENT]);
