/**
 * Whether a criterion vetoes the response: a veto criterion fires when its normalised score (before
 * saturation: the threshold is written against the rubric's tiers) is strictly below its threshold.
 * An unscorable veto criterion (`normalised` null) does not fire: we cannot tell that the response
 * failed, and voiding a reward on a judge's failure would punish the policy for the judge.
 */
export function vetoFires(options: {
  kind: 'score' | 'veto';
  threshold: number | undefined;
  normalised: number | null;
}): boolean {
  const { kind, threshold, normalised } = options;
  if (kind !== 'veto' || normalised === null || threshold === undefined) return false;
  return normalised < threshold;
}
