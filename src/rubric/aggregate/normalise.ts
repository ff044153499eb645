/**
 * Normalised criterion score x = tier score / top tier score, in [0, 1]. The caller checks the
 * range first (see `matchVerdicts`); tier scores need not be one of the written tiers, so a judge
 * that averages several samples can report a fractional score.
 */
export function normaliseScore(options: { tierScore: number; topScore: number }): number {
  return options.tierScore / options.topScore;
}
