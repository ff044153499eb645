/**
 * Whether enough of a rubric was scored to trust the mean (a response with too
 * few scored criteria is unscorable as a whole and is left out of the group baseline and the loss).
 *
 * Counted over positive-weight criteria only: they form the denominator, so they decide whether the
 * mean means anything; penalties are judged on their own. The rule: unscorable when
 * scoredPositive < minScoredFraction * totalPositive (with a 1e-9 slack so that 0.7 * 10 = 7.000000000000001
 * does not reject 7 scored of 10), and always unscorable when no positive-weight criterion was scored
 * (no denominator, whatever the fraction says, including a rubric made only of penalties).
 */
export type Coverage = { scorable: true } | { scorable: false; reason: string };

export function checkCoverage(options: {
  scoredPositive: number;
  totalPositive: number;
  minScoredFraction: number;
}): Coverage {
  const { scoredPositive, totalPositive, minScoredFraction } = options;
  if (totalPositive === 0) {
    return {
      scorable: false,
      reason: 'the rubric has no positive-weight criterion, so the weighted mean has no denominator',
    };
  }
  if (scoredPositive === 0) {
    return {
      scorable: false,
      reason: `none of the ${totalPositive} positive-weight criteria could be scored`,
    };
  }
  if (scoredPositive < minScoredFraction * totalPositive - 1e-9) {
    const needed = Math.ceil(minScoredFraction * totalPositive - 1e-9);
    return {
      scorable: false,
      reason: `${scoredPositive} of ${totalPositive} positive-weight criteria scored; at least ${needed} needed (minScoredFraction ${minScoredFraction})`,
    };
  }
  return { scorable: true };
}
