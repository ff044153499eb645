import type { Verdict } from '../verdict.ts';
import type { PlannedCriterion, PlannedInteraction } from './plan.ts';
import type { CriterionExplanation, InteractionTermExplanation } from './reward-schema.ts';

/**
 * Builders for the explanation records, shared by the single-response and the batch aggregators so
 * that both produce the same shape; the numbers come from each aggregator's own computation.
 */
export function explainCriterion(options: {
  criterion: PlannedCriterion;
  verdict: Verdict;
  normalised: number | null;
  transformed: number | null;
  contribution: number | null;
  vetoFired: boolean;
}): CriterionExplanation {
  const { criterion: c, verdict: v } = options;
  const scored = v.status === 'scored';
  return {
    id: c.id,
    kind: c.kind,
    weight: c.weight,
    status: v.status,
    tierScore: scored ? v.tierScore : null,
    tierLabel: scored ? v.tierLabel : null,
    topScore: c.topScore,
    normalised: options.normalised,
    saturation: c.saturation ?? null,
    transformed: options.transformed,
    contribution: options.contribution,
    vetoThreshold: c.vetoThreshold ?? null,
    vetoFired: options.vetoFired,
    reason: v.reason,
    evaluator: v.evaluator,
    ...(v.samples === undefined ? {} : { samples: v.samples }),
  };
}

export function explainAppliedTerm(options: {
  interaction: PlannedInteraction;
  g: number;
  value: number;
}): InteractionTermExplanation {
  const { interaction: it } = options;
  return {
    a: it.a,
    b: it.b,
    fn: it.fnName,
    coefficient: it.coefficient,
    status: 'applied',
    g: options.g,
    value: options.value,
  };
}

export function explainSkippedTerm(options: {
  interaction: PlannedInteraction;
  aScored: boolean;
  bScored: boolean;
}): InteractionTermExplanation {
  const { interaction: it, aScored, bScored } = options;
  const missing = [aScored ? undefined : it.a, bScored || it.a === it.b ? undefined : it.b].filter(
    (id): id is string => id !== undefined,
  );
  return {
    a: it.a,
    b: it.b,
    fn: it.fnName,
    coefficient: it.coefficient,
    status: 'skipped',
    reason: `${missing.map((id) => `'${id}'`).join(' and ')} unscorable`,
  };
}
