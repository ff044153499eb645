/**
 * Weighted mean with signed penalties, HealthBench style:
 *
 *   r = sum_k w_k t_k / sum_{k scored, w_k > 0} w_k        over scored criteria only
 *
 * A positive weight rewards meeting the criterion; a negative weight is a penalty that subtracts
 * |w| t when met. Penalties are left out of the denominator, so meeting every positive criterion and
 * no penalty gives 1 and a met penalty pulls the mean down (below 0 is possible; the chain clips
 * later). Unscorable criteria (`score` null) are left out of both sums, never counted as 0.
 * `mean` is null when no positive-weight criterion was scored: the mean has no denominator.
 */
export interface WeightedMean {
  numerator: number;
  denominator: number;
  mean: number | null;
}

export function weightedMean(options: {
  terms: readonly { weight: number; score: number | null }[];
}): WeightedMean {
  let numerator = 0;
  let denominator = 0;
  for (const { weight, score } of options.terms) {
    if (score === null) continue;
    numerator += weight * score;
    if (weight > 0) denominator += weight;
  }
  return { numerator, denominator, mean: denominator > 0 ? numerator / denominator : null };
}
