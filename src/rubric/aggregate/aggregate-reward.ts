import type { ResolvedRubric } from '../resolve.ts';
import type { Verdict } from '../verdict.ts';
import { clipReward } from './clip.ts';
import { checkCoverage } from './coverage.ts';
import { explainAppliedTerm, explainCriterion, explainSkippedTerm } from './explain.ts';
import { assertFinite } from './finite.ts';
import { interactionTerm } from './interaction.ts';
import { matchVerdicts } from './match-verdicts.ts';
import { normaliseScore } from './normalise.ts';
import { type AggregationPlan, compileAggregation } from './plan.ts';
import type { InteractionTermExplanation, Reward, RewardExplanation } from './reward-schema.ts';
import { saturate } from './saturation.ts';
import { vetoFires } from './veto.ts';
import { weightedMean } from './weighted-mean.ts';

/**
 * The reward of one response under a rubric, with its explanation:
 *
 * 1. x_k = tier score / top score per scored criterion; unscorable criteria drop out of every sum.
 * 2. t_k = saturation(x_k) with the criterion's curvature, else the rubric's, else t_k = x_k.
 * 3. mean = sum w_k t_k / sum of positive scored weights (penalties subtract, HealthBench style).
 *    Veto criteria take part in the mean with their weight like any other: the weight the rubric
 *    gives them would otherwise be dead, and a partly met critical criterion still earns credit.
 * 4. + sum b_ij g(t_i, t_j) over interactions whose two criteria were scored; clip to [floor, 1].
 * 5. shaping (if any), clip to [floor, 1].
 * 6. Decision, in this order:
 *    - a veto fired (a scored veto criterion with x below its threshold): scored, value = floor, even
 *      when too few criteria were scored. The veto is a positive finding that the response is
 *      disqualified (typically reward hacking); dropping it as unscorable would hide exactly the
 *      responses the policy must learn to avoid from the baseline and the loss.
 *    - too few positive-weight criteria scored (see `checkCoverage`): unscorable, with the reason.
 *    - otherwise scored, value = the shaped reward.
 * Throws `ValidationError` for a missing, duplicate or unknown verdict or a bad setting, and
 * `NonFiniteRewardError` if any step is not finite.
 */
export function aggregateReward(options: { rubric: ResolvedRubric; verdicts: readonly Verdict[] }): Reward {
  return aggregateWithPlan({ plan: compileAggregation(options.rubric), verdicts: options.verdicts });
}

/** `aggregateReward` with the rubric's plan compiled once by the caller (`compileAggregation`). */
export function aggregateWithPlan(options: { plan: AggregationPlan; verdicts: readonly Verdict[] }): Reward {
  const { plan } = options;
  const matched = matchVerdicts({ plan, verdicts: options.verdicts });
  const finite = (value: number, step: string) => assertFinite(value, { step, rubricId: plan.rubricId });

  const scores = plan.criteria.map((c, k) => {
    const verdict = matched[k]!;
    if (verdict.status !== 'scored') return { x: null, t: null, vetoFired: false };
    const x = finite(
      normaliseScore({ tierScore: verdict.tierScore, topScore: c.topScore }),
      `'${c.id}' normalised score`,
    );
    const t =
      c.saturation === undefined ? x : finite(saturate({ x, a: c.saturation }), `'${c.id}' saturated score`);
    return { x, t, vetoFired: vetoFires({ kind: c.kind, threshold: c.vetoThreshold, normalised: x }) };
  });

  const mean = weightedMean({
    terms: plan.criteria.map((c, k) => ({ weight: c.weight, score: scores[k]!.t })),
  });
  finite(mean.numerator, 'weighted sum');
  finite(mean.denominator, 'sum of scored positive weights');
  if (mean.mean !== null) finite(mean.mean, 'weighted mean');

  let interactionTotal = 0;
  const interactionTerms = plan.interactions.map((it): InteractionTermExplanation => {
    const ta = scores[it.ia]!.t;
    const tb = scores[it.ib]!.t;
    if (ta === null || tb === null) {
      return explainSkippedTerm({ interaction: it, aScored: ta !== null, bScored: tb !== null });
    }
    const { g, value } = interactionTerm({ fn: it.fn, coefficient: it.coefficient, x: ta, y: tb });
    interactionTotal += finite(value, `interaction ${it.a} x ${it.b}`);
    return explainAppliedTerm({ interaction: it, g, value });
  });

  let beforeClip: number | null = null;
  let afterInteractions: number | null = null;
  let afterShaping: number | null = null;
  if (mean.mean !== null) {
    beforeClip = finite(mean.mean + interactionTotal, 'mean plus interactions');
    afterInteractions = clipReward({ value: beforeClip, floor: plan.floor });
    const shaped =
      plan.shaping === undefined
        ? afterInteractions
        : plan.shaping.rule.apply({
            value: afterInteractions,
            shaping: plan.shaping.spec,
            floor: plan.floor,
          });
    afterShaping = clipReward({ value: finite(shaped, 'shaped reward'), floor: plan.floor });
  }

  let scoredPositive = 0;
  plan.criteria.forEach((c, k) => {
    if (c.weight > 0 && scores[k]!.t !== null) scoredPositive++;
  });
  const explanation: RewardExplanation = {
    rubricId: plan.rubricId,
    rubricVersion: plan.rubricVersion,
    criteria: plan.criteria.map((criterion, k) => {
      const s = scores[k]!;
      return explainCriterion({
        criterion,
        verdict: matched[k]!,
        normalised: s.x,
        transformed: s.t,
        contribution:
          s.t === null || mean.denominator === 0
            ? null
            : finite((criterion.weight * s.t) / mean.denominator, `'${criterion.id}' contribution`),
        vetoFired: s.vetoFired,
      });
    }),
    coverage: {
      scoredPositive,
      totalPositive: plan.totalPositive,
      minScoredFraction: plan.minScoredFraction,
    },
    numerator: mean.numerator,
    denominator: mean.denominator,
    weightedMean: mean.mean,
    interactionTerms,
    interactionTotal,
    beforeClip,
    afterInteractions,
    shaping: plan.shaping?.spec ?? null,
    afterShaping,
    vetoesFired: plan.criteria.filter((_, k) => scores[k]!.vetoFired).map((c) => c.id),
    floor: plan.floor,
  };

  if (explanation.vetoesFired.length > 0) return { status: 'scored', value: plan.floor, explanation };
  const coverage = checkCoverage({
    scoredPositive,
    totalPositive: plan.totalPositive,
    minScoredFraction: plan.minScoredFraction,
  });
  if (!coverage.scorable) return { status: 'unscorable', reason: coverage.reason, explanation };
  // Coverage passing implies a scored positive weight, hence a mean and a shaped value.
  return { status: 'scored', value: finite(afterShaping!, 'reward'), explanation };
}
