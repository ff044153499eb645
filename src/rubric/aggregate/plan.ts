import { ValidationError } from '../../util/errors.ts';
import { formatFieldPath } from '../../util/field-path.ts';
import type { ResolvedRubric } from '../resolve.ts';
import type { Interaction, Shaping } from '../schema.ts';
import { type InteractionFn, interactionFunction } from './interaction.ts';
import { saturationFor } from './saturation.ts';
import { checkShaping, type ShapingRule, shapingRule } from './shaping.ts';

/** One criterion as the chain needs it. */
export interface PlannedCriterion {
  id: string;
  kind: 'score' | 'veto';
  weight: number;
  vetoThreshold: number | undefined;
  topScore: number;
  /** Saturation curvature in force (criterion override, else the rubric's), undefined for none. */
  saturation: number | undefined;
}

export interface PlannedInteraction {
  a: string;
  b: string;
  /** Indices of a and b in `criteria`. */
  ia: number;
  ib: number;
  coefficient: number;
  fnName: Interaction['fn'];
  fn: InteractionFn;
}

/**
 * A rubric's aggregation settings checked and indexed once, so a batch of responses reuses them and
 * a bad setting fails before any response is scored, naming the rubric and field.
 */
export interface AggregationPlan {
  rubricId: string;
  rubricVersion: number;
  floor: number;
  minScoredFraction: number;
  criteria: PlannedCriterion[];
  indexById: ReadonlyMap<string, number>;
  /** Number of positive-weight criteria in the rubric. */
  totalPositive: number;
  interactions: PlannedInteraction[];
  shaping: { spec: Shaping; rule: ShapingRule<Shaping> } | undefined;
}

export function compileAggregation(rubric: ResolvedRubric): AggregationPlan {
  const { aggregation } = rubric;
  const fail = (field: (string | number)[], message: string): never => {
    throw new ValidationError(`rubric '${rubric.id}': ${message}`, {
      location: { field: formatFieldPath(field) },
    });
  };
  // The resolver enforces most of this already; a ResolvedRubric can also arrive deserialised from a
  // workflow payload, and the checks are cheap next to judging.
  if (!Number.isFinite(aggregation.floor) || aggregation.floor < -1 || aggregation.floor > 1) {
    fail(['aggregation', 'floor'], `a floor in [-1, 1], got ${aggregation.floor}`);
  }
  const indexById = new Map<string, number>();
  const criteria = rubric.criteria.map((c, i): PlannedCriterion => {
    if (indexById.has(c.id)) fail(['criteria', i, 'id'], `criterion id '${c.id}' appears twice`);
    indexById.set(c.id, i);
    if (!Number.isFinite(c.weight) || c.weight === 0) {
      fail(['criteria', i, 'weight'], `criterion '${c.id}': a finite non-zero weight, got ${c.weight}`);
    }
    if (!Number.isFinite(c.topScore) || c.topScore <= 0) {
      fail(['criteria', i, 'tiers'], `criterion '${c.id}': a positive top tier score, got ${c.topScore}`);
    }
    if (
      c.kind === 'veto' &&
      (c.vetoThreshold === undefined || !(c.vetoThreshold >= 0 && c.vetoThreshold <= 1))
    ) {
      fail(
        ['criteria', i, 'vetoThreshold'],
        `veto criterion '${c.id}': a threshold in [0, 1], got ${c.vetoThreshold}`,
      );
    }
    // A veto fires when its criterion is NOT met, while a negative weight punishes meeting it: the
    // two together would void every response that avoids the fault. Write the veto positively
    // ("does not praise itself", positive weight) instead.
    if (c.kind === 'veto' && c.weight < 0) {
      fail(
        ['criteria', i, 'weight'],
        `veto criterion '${c.id}': a positive weight (a veto fires when the criterion is not met, so it must be phrased as something the response should do), got ${c.weight}`,
      );
    }
    const saturation = saturationFor({ criterion: c, aggregation });
    if (saturation !== undefined && !(Number.isFinite(saturation) && saturation > 0)) {
      fail(
        ['criteria', i, 'saturation', 'a'],
        `criterion '${c.id}': a finite saturation a > 0, got ${saturation}`,
      );
    }
    return {
      id: c.id,
      kind: c.kind,
      weight: c.weight,
      vetoThreshold: c.vetoThreshold,
      topScore: c.topScore,
      saturation,
    };
  });
  const interactions = aggregation.interactions.map((it, i): PlannedInteraction => {
    const ia = indexById.get(it.a);
    const ib = indexById.get(it.b);
    if (ia === undefined)
      return fail(['aggregation', 'interactions', i, 'a'], `interaction names unknown criterion '${it.a}'`);
    if (ib === undefined)
      return fail(['aggregation', 'interactions', i, 'b'], `interaction names unknown criterion '${it.b}'`);
    if (!Number.isFinite(it.coefficient)) {
      fail(['aggregation', 'interactions', i, 'coefficient'], `a finite coefficient, got ${it.coefficient}`);
    }
    return {
      a: it.a,
      b: it.b,
      ia,
      ib,
      coefficient: it.coefficient,
      fnName: it.fn,
      fn: interactionFunction(it.fn),
    };
  });
  let shaping: AggregationPlan['shaping'];
  if (aggregation.shaping !== undefined) {
    checkShaping({ shaping: aggregation.shaping, floor: aggregation.floor, rubricId: rubric.id });
    shaping = { spec: aggregation.shaping, rule: shapingRule(aggregation.shaping) };
  }
  return {
    rubricId: rubric.id,
    rubricVersion: rubric.version,
    floor: aggregation.floor,
    minScoredFraction: aggregation.minScoredFraction,
    criteria,
    indexById,
    totalPositive: criteria.filter((c) => c.weight > 0).length,
    interactions,
    shaping,
  };
}
