import type { Tier } from './schema.ts';

/**
 * Maps a verifier's normalised score x in [0, 1] onto a criterion's tiers: the highest tier whose
 * normalised score (tier score / top score) does not exceed x. A tiny tolerance keeps 0.7 from
 * falling below a tier written as 7/10 through rounding.
 */
export function tierForScore(tiers: readonly Tier[], x: number): Tier {
  if (!Number.isFinite(x) || x < 0 || x > 1) throw new RangeError(`normalised score in [0, 1] expected, got ${x}`);
  const top = tiers.at(-1)!.score;
  let chosen = tiers[0]!;
  for (const tier of tiers) {
    if (tier.score / top <= x + 1e-9) chosen = tier;
  }
  return chosen;
}
