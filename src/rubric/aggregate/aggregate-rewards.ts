import type { ResolvedRubric } from '../resolve.ts';
import type { Verdict } from '../verdict.ts';
import { clipReward } from './clip.ts';
import { checkCoverage } from './coverage.ts';
import { explainAppliedTerm, explainCriterion, explainSkippedTerm } from './explain.ts';
import { assertFinite } from './finite.ts';
import { matchVerdicts } from './match-verdicts.ts';
import { normaliseScore } from './normalise.ts';
import { compileAggregation } from './plan.ts';
import type { InteractionTermExplanation, Reward } from './reward-schema.ts';
import { saturate } from './saturation.ts';
import { vetoFires } from './veto.ts';

/**
 * Rewards for a batch of responses to one rubric (a rollout group), computed column by column:
 * the plan is compiled once, each criterion's scores across the batch form a column, and the sums
 * run over columns into per-response accumulators. Same results as calling `aggregateReward` per
 * response, bit for bit (the additions happen in the same order per response); the tests hold it
 * to that. Errors name the response: `verdictsPerResponse[3][1].criterionId`.
 */
export function aggregateRewards(options: {
  rubric: ResolvedRubric;
  verdictsPerResponse: readonly (readonly Verdict[])[];
}): Reward[] {
  const plan = compileAggregation(options.rubric);
  const n = options.verdictsPerResponse.length;
  const finite = (value: number, step: string) => assertFinite(value, { step, rubricId: plan.rubricId });
  const matched = options.verdictsPerResponse.map((verdicts, r) =>
    matchVerdicts({ plan, verdicts, field: `verdictsPerResponse[${r}]` }),
  );

  // Per criterion k: scored mask, normalised x, transformed t, veto fired, across the batch.
  const scored = plan.criteria.map(() => new Uint8Array(n));
  const normalised = plan.criteria.map(() => new Float64Array(n));
  const transformed = plan.criteria.map(() => new Float64Array(n));
  const fired = plan.criteria.map(() => new Uint8Array(n));
  const numerator = new Float64Array(n);
  const denominator = new Float64Array(n);
  const scoredPositive = new Int32Array(n);
  const vetoCount = new Int32Array(n);

  plan.criteria.forEach((c, k) => {
    const [mask, xs, ts, vetoes] = [scored[k]!, normalised[k]!, transformed[k]!, fired[k]!];
    for (let r = 0; r < n; r++) {
      const verdict = matched[r]![k]!;
      if (verdict.status !== 'scored') continue;
      mask[r] = 1;
      const x = finite(
        normaliseScore({ tierScore: verdict.tierScore, topScore: c.topScore }),
        `'${c.id}' normalised score`,
      );
      const t =
        c.saturation === undefined
          ? x
          : finite(saturate({ x, a: c.saturation }), `'${c.id}' saturated score`);
      xs[r] = x;
      ts[r] = t;
      numerator[r] = numerator[r]! + c.weight * t;
      if (c.weight > 0) {
        denominator[r] = denominator[r]! + c.weight;
        scoredPositive[r] = scoredPositive[r]! + 1;
      }
      if (vetoFires({ kind: c.kind, threshold: c.vetoThreshold, normalised: x })) {
        vetoes[r] = 1;
        vetoCount[r] = vetoCount[r]! + 1;
      }
    }
  });

  const interactionTotal = new Float64Array(n);
  const termG = plan.interactions.map(() => new Float64Array(n));
  const termValue = plan.interactions.map(() => new Float64Array(n));
  plan.interactions.forEach((it, i) => {
    const [ma, mb, ta, tb, gs, vs] = [
      scored[it.ia]!,
      scored[it.ib]!,
      transformed[it.ia]!,
      transformed[it.ib]!,
      termG[i]!,
      termValue[i]!,
    ];
    for (let r = 0; r < n; r++) {
      if (ma[r] === 0 || mb[r] === 0) continue;
      gs[r] = it.fn(ta[r]!, tb[r]!);
      vs[r] = finite(it.coefficient * gs[r]!, `interaction ${it.a} x ${it.b}`);
      interactionTotal[r] = interactionTotal[r]! + vs[r]!;
    }
  });

  return options.verdictsPerResponse.map((_, r): Reward => {
    const den = finite(denominator[r]!, 'sum of scored positive weights');
    const num = finite(numerator[r]!, 'weighted sum');
    const mean = den > 0 ? finite(num / den, 'weighted mean') : null;
    let beforeClip: number | null = null;
    let afterInteractions: number | null = null;
    let afterShaping: number | null = null;
    if (mean !== null) {
      beforeClip = finite(mean + interactionTotal[r]!, 'mean plus interactions');
      afterInteractions = clipReward({ value: beforeClip, floor: plan.floor });
      const shaped = plan.shaping?.rule.apply({
        value: afterInteractions,
        shaping: plan.shaping.spec,
        floor: plan.floor,
      });
      afterShaping = clipReward({
        value: finite(shaped ?? afterInteractions, 'shaped reward'),
        floor: plan.floor,
      });
    }
    const interactionTerms = plan.interactions.map((interaction, i): InteractionTermExplanation => {
      const aScored = scored[interaction.ia]![r] === 1;
      const bScored = scored[interaction.ib]![r] === 1;
      return aScored && bScored
        ? explainAppliedTerm({ interaction, g: termG[i]![r]!, value: termValue[i]![r]! })
        : explainSkippedTerm({ interaction, aScored, bScored });
    });
    const explanation = {
      rubricId: plan.rubricId,
      rubricVersion: plan.rubricVersion,
      criteria: plan.criteria.map((criterion, k) => {
        const isScored = scored[k]![r] === 1;
        const t = transformed[k]![r]!;
        return explainCriterion({
          criterion,
          verdict: matched[r]![k]!,
          normalised: isScored ? normalised[k]![r]! : null,
          transformed: isScored ? t : null,
          contribution:
            isScored && den > 0
              ? finite((criterion.weight * t) / den, `'${criterion.id}' contribution`)
              : null,
          vetoFired: fired[k]![r] === 1,
        });
      }),
      coverage: {
        scoredPositive: scoredPositive[r]!,
        totalPositive: plan.totalPositive,
        minScoredFraction: plan.minScoredFraction,
      },
      numerator: num,
      denominator: den,
      weightedMean: mean,
      interactionTerms,
      interactionTotal: interactionTotal[r]!,
      beforeClip,
      afterInteractions,
      shaping: plan.shaping?.spec ?? null,
      afterShaping,
      vetoesFired: plan.criteria.filter((_, k) => fired[k]![r] === 1).map((c) => c.id),
      floor: plan.floor,
    };
    if (vetoCount[r]! > 0) return { status: 'scored', value: plan.floor, explanation };
    const coverage = checkCoverage({
      scoredPositive: scoredPositive[r]!,
      totalPositive: plan.totalPositive,
      minScoredFraction: plan.minScoredFraction,
    });
    if (!coverage.scorable) return { status: 'unscorable', reason: coverage.reason, explanation };
    return { status: 'scored', value: finite(afterShaping!, 'reward'), explanation };
  });
}
