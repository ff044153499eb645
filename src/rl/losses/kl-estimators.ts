import { NamedRegistry } from './registry.ts';
import type { KlEstimatorDef } from './types.ts';

/**
 * Per-token estimators of KL(π || π_ref) from the sampled token's log-probs (J. Schulman,
 * "Approximating KL divergence"). With log r = log π_ref - log π on a token sampled from π:
 *   k1 = -log r             unbiased, high variance, can be negative
 *   k2 = (log r)² / 2       biased, low variance, >= 0
 *   k3 = (r - 1) - log r    unbiased, low variance, >= 0
 * k3 clamps log r to ±20 before exponentiating so that a far-off token cannot overflow.
 */
export const KL_LOG_RATIO_CLAMP = 20;

const clamp = (x: number, limit: number) => Math.min(Math.max(x, -limit), limit);

export const K1: KlEstimatorDef = {
  name: 'k1',
  description: 'log π - log π_ref (unbiased, high variance)',
  graph: ({ g, logprobs, refLogprobs }) => g.sub(logprobs, refLogprobs),
  reference: ({ logprob, refLogprob }) => logprob - refLogprob,
};

export const K2: KlEstimatorDef = {
  name: 'k2',
  description: '(log π_ref - log π)² / 2 (biased, low variance)',
  graph: ({ g, logprobs, refLogprobs }) => {
    const d = g.sub(refLogprobs, logprobs);
    return g.mul(g.mul(d, d), 0.5);
  },
  reference: ({ logprob, refLogprob }) => 0.5 * (refLogprob - logprob) ** 2,
};

export const K3: KlEstimatorDef = {
  name: 'k3',
  description: 'exp(log r) - 1 - log r with log r = log π_ref - log π (unbiased, low variance)',
  graph: ({ g, logprobs, refLogprobs }) => {
    const logR = g.min(g.max(g.sub(refLogprobs, logprobs), -KL_LOG_RATIO_CLAMP), KL_LOG_RATIO_CLAMP);
    return g.sub(g.sub(g.exp(logR), logR), 1);
  },
  reference: ({ logprob, refLogprob }) => {
    const logR = clamp(refLogprob - logprob, KL_LOG_RATIO_CLAMP);
    return Math.exp(logR) - logR - 1;
  },
};

export const klEstimators = new NamedRegistry<KlEstimatorDef>('KL estimator', [K1, K2, K3]);
