import { ValidationError } from '../../util/errors.ts';
import type { Verdict } from '../verdict.ts';
import type { AggregationPlan } from './plan.ts';

/**
 * Lines verdicts up with the rubric's criteria (result index k = criterion k). Exactly one verdict
 * per criterion is expected: a missing, duplicate or unknown one means the caller evaluated against
 * a different rubric, a programming error, so it throws naming the criterion rather than guessing.
 * A scored verdict's tier score must lie in [0, top tier score]; it need not equal a written tier
 * (averaged judge samples give fractional scores).
 *
 * `field` names the verdict list in error locations (`verdicts`, or `verdictsPerResponse[3]`).
 */
export function matchVerdicts(options: {
  plan: AggregationPlan;
  verdicts: readonly Verdict[];
  field?: string;
}): Verdict[] {
  const { plan, verdicts } = options;
  const field = options.field ?? 'verdicts';
  const matched: (Verdict | undefined)[] = new Array(plan.criteria.length).fill(undefined);
  verdicts.forEach((verdict, i) => {
    const k = plan.indexById.get(verdict.criterionId);
    if (k === undefined) {
      throw new ValidationError(
        `verdict for criterion '${verdict.criterionId}', which rubric '${plan.rubricId}' does not have (its criteria: ${[...plan.indexById.keys()].join(', ')})`,
        { location: { field: `${field}[${i}].criterionId` } },
      );
    }
    if (matched[k] !== undefined) {
      throw new ValidationError(
        `a second verdict for criterion '${verdict.criterionId}' of rubric '${plan.rubricId}'`,
        {
          location: { field: `${field}[${i}].criterionId` },
        },
      );
    }
    if (verdict.status === 'scored') {
      const top = plan.criteria[k]!.topScore;
      if (!(Number.isFinite(verdict.tierScore) && verdict.tierScore >= 0 && verdict.tierScore <= top)) {
        throw new ValidationError(
          `criterion '${verdict.criterionId}' of rubric '${plan.rubricId}': a tier score in [0, ${top}], got ${verdict.tierScore}`,
          { location: { field: `${field}[${i}].tierScore` } },
        );
      }
    }
    matched[k] = verdict;
  });
  const missing = plan.criteria.filter((_, k) => matched[k] === undefined).map((c) => c.id);
  if (missing.length > 0) {
    throw new ValidationError(
      `no verdict for criterion ${missing.map((id) => `'${id}'`).join(', ')} of rubric '${plan.rubricId}'`,
      { location: { field } },
    );
  }
  return matched as Verdict[];
}
