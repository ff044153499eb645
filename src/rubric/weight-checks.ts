import { type ErrorLocation, ValidationError } from '../util/errors.ts';

/** A criterion's weight with where it was written (its rubric may be an include). */
export interface WeightedCriterion {
  id: string;
  weight: number;
  location: ErrorLocation;
}

/**
 * Checks that a resolved rubric (includes merged) can score at all and in finite arithmetic:
 *
 * - at least one positive weight: the weighted mean divides by the scored positive weights, so a
 *   rubric of penalties only is unscorable on every response;
 * - the sum of |weights| (with interaction coefficients) is finite: each weight alone may be a finite
 *   number whose sum overflows to Infinity, which would turn every reward into NaN.
 *
 * Errors point at the rubric's `criteria` (no positive weight) or at the criterion whose weight made
 * the sum overflow.
 */
export function checkWeights(options: {
  rubricId: string;
  criteria: readonly WeightedCriterion[];
  interactions: readonly { coefficient: number }[];
  rubricLocation: ErrorLocation;
}): void {
  const { rubricId, criteria, interactions, rubricLocation } = options;
  if (!criteria.some((c) => c.weight > 0)) {
    const listed = criteria.map((c) => `${c.id} ${c.weight}`).join(', ');
    throw new ValidationError(
      `rubric '${rubricId}' has no criterion with a positive weight (${listed}): expected at least one, or it can never score`,
      { location: rubricLocation },
    );
  }
  let sum = 0;
  for (const c of criteria) {
    sum += Math.abs(c.weight);
    if (!Number.isFinite(sum)) {
      throw new ValidationError(
        `the weights of rubric '${rubricId}' add up to Infinity at criterion '${c.id}' (weight ${c.weight}): expected weights whose sum is a finite number`,
        { location: c.location },
      );
    }
  }
  for (const it of interactions) sum += Math.abs(it.coefficient);
  if (!Number.isFinite(sum)) {
    throw new ValidationError(
      `the weights and interaction coefficients of rubric '${rubricId}' add up to Infinity: expected a finite sum`,
      { location: { ...rubricLocation, field: 'aggregation.interactions' } },
    );
  }
}
