import { ValidationError } from '../../util/errors.ts';
import type { Verdict, VerdictSample } from '../verdict.ts';
import { boundReason } from './reasons.ts';

/** Tier label of a verdict whose scored samples chose different tiers (its score is their mean). */
export const AVERAGED_TIER_LABEL = 'averaged';

/**
 * One criterion's verdict from the k verdicts a judge gave it (`samples` in the judge config), in
 * sample order. One sample is its own verdict, unchanged. With several, unscorable samples are left
 * out and the score is the mean of the scored samples' tier scores (fractional where they differ;
 * the aggregate takes any score in [0, top]); the label is the shared tier's when every scored
 * sample chose the same one, else `averaged`. With no scored sample the verdict is unscorable,
 * never 0. Every sample (tier, reason) is kept in `samples` and listed in the reason.
 */
export function combineSamples(options: { samples: readonly Verdict[] }): Verdict {
  const { samples } = options;
  const first = samples[0];
  if (first === undefined) throw new ValidationError('combineSamples: at least one sample');
  const other = samples.find((v) => v.criterionId !== first.criterionId);
  if (other !== undefined) {
    throw new ValidationError(
      `combineSamples: samples of one criterion, got '${first.criterionId}' and '${other.criterionId}'`,
    );
  }
  if (samples.length === 1) return first;

  const kept = samples.map(sampleOf);
  const base = { criterionId: first.criterionId, evaluator: first.evaluator, samples: kept };
  const scored = kept.filter((s) => s.status === 'scored');
  const k = samples.length;
  if (scored.length === 0) {
    const reasons = new Set(kept.map((s) => s.reason));
    const reason =
      reasons.size === 1
        ? `all ${k} judge samples unscorable: ${first.reason}`
        : `all ${k} judge samples unscorable: ${listSamples(kept)}`;
    return { ...base, status: 'unscorable', reason: boundReason(reason) };
  }
  const agreed = scored.every((s) => s.tierLabel === scored[0]!.tierLabel);
  const mean = scored.reduce((sum, s) => sum + s.tierScore, 0) / scored.length;
  const of = scored.length === k ? `${k} judge samples` : `${scored.length} scored of ${k} judge samples`;
  return {
    ...base,
    status: 'scored',
    // Equal scores keep their tier's exact value (a float mean of equal values may drift).
    tierScore: agreed ? scored[0]!.tierScore : mean,
    tierLabel: agreed ? scored[0]!.tierLabel : AVERAGED_TIER_LABEL,
    reason: boundReason(`mean of ${of}: ${listSamples(kept)}`),
  };
}

function sampleOf(verdict: Verdict): VerdictSample {
  return verdict.status === 'scored'
    ? {
        status: 'scored',
        tierScore: verdict.tierScore,
        tierLabel: verdict.tierLabel,
        reason: verdict.reason,
      }
    : { status: 'unscorable', reason: verdict.reason };
}

/** `[1] good (2): reason | [2] unscorable: reason | ...` */
function listSamples(samples: readonly VerdictSample[]): string {
  return samples
    .map((s, i) =>
      s.status === 'scored'
        ? `[${i + 1}] ${s.tierLabel} (${s.tierScore}): ${s.reason}`
        : `[${i + 1}] unscorable: ${s.reason}`,
    )
    .join(' | ');
}
