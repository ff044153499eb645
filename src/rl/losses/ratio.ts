import type { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { ValidationError } from '../../util/errors.ts';
import type { Hyperparameter, PolicyLossDef } from './types.ts';

/**
 * Pieces shared by the policy losses: the clamped log importance ratio, the pessimistic clipped
 * surrogate, hyperparameter look-up, and the lift of a per-token reference to a sequence.
 */

/** |log π - log π_old| is clamped to this, so the ratio cannot overflow. */
export const LOG_RATIO_CLAMP = 20;

export const clampLogRatio = (x: number): number => Math.min(Math.max(x, -LOG_RATIO_CLAMP), LOG_RATIO_CLAMP);

/** log π - log π_old clamped to ±LOG_RATIO_CLAMP, [B, T]. */
export function clampedLogRatio(g: GraphBuilder, logprobs: Value, oldLogprobs: Value): Value {
  return g.min(g.max(g.sub(logprobs, oldLogprobs), -LOG_RATIO_CLAMP), LOG_RATIO_CLAMP);
}

export function requireHyper<T>(hyper: Readonly<Record<string, T>>, name: string): T {
  const v = hyper[name];
  if (v === undefined) throw new ValidationError(`policy loss hyperparameter '${name}' is missing`);
  return v;
}

/** Reads the (low, high) clip range of a loss from its two hyperparameters. */
export function clipRange<T>(
  hyper: Readonly<Record<string, T>>,
  names: { low: Hyperparameter; high: Hyperparameter },
): { low: T; high: T } {
  return { low: requireHyper(hyper, names.low.name), high: requireHyper(hyper, names.high.name) };
}

/**
 * max(-A ρ, -A clip(ρ, 1 - ε_low, 1 + ε_high)) and the 0/1 indicator of entries where the clipped
 * branch is strictly larger (clipping removed the gradient there).
 */
export function clippedSurrogate(options: {
  g: GraphBuilder;
  ratio: Value;
  advantages: Value;
  clip: { low: Value; high: Value };
}): { loss: Value; clipped: Value } {
  const { g, ratio, clip } = options;
  const bounded = g.min(g.max(ratio, g.sub(1, clip.low)), g.add(clip.high, 1)); // clip(ρ, 1-εl, 1+εh)
  const negA = g.neg(options.advantages);
  const unclipped = g.mul(negA, ratio);
  const clipped = g.mul(negA, bounded);
  return { loss: g.max(unclipped, clipped), clipped: g.cast(g.greater(clipped, unclipped), ratio.dtype) };
}

/** The same with numbers. */
export function clippedSurrogateReference(options: {
  ratio: number;
  advantage: number;
  clip: { low: number; high: number };
}): { loss: number; clipped: number } {
  const { ratio, advantage, clip } = options;
  const bounded = Math.min(Math.max(ratio, 1 - clip.low), 1 + clip.high);
  const unclipped = -advantage * ratio;
  const clipped = -advantage * bounded;
  return { loss: Math.max(unclipped, clipped), clipped: clipped > unclipped ? 1 : 0 };
}

/** A sequence reference built from a per-token one (for losses where tokens do not interact). */
export function tokenwise(
  perToken: (args: {
    logprob: number;
    oldLogprob: number;
    advantage: number;
    hyper: Readonly<Record<string, number>>;
  }) => { loss: number; clipped: number },
): PolicyLossDef['reference'] {
  return ({ logprobs, oldLogprobs, advantages, hyper }) => {
    const out = logprobs.map((logprob, t) =>
      perToken({
        logprob,
        oldLogprob: oldLogprobs[t] as number,
        advantage: advantages[t] as number,
        hyper,
      }),
    );
    return { loss: out.map((o) => o.loss), clipped: out.map((o) => o.clipped) };
  };
}
