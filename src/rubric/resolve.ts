import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';
import type { RubricCorpus } from './corpus.ts';
import type { Aggregation, Criterion, RubricFile, Tier } from './schema.ts';
import type { VerifierRegistry } from './verifiers/registry.ts';

/** A criterion ready to evaluate: tiers made explicit, verifier parameters validated. */
export interface ResolvedCriterion {
  id: string;
  description: string;
  weight: number;
  kind: 'score' | 'veto';
  vetoThreshold: number | undefined;
  /** Ordered tiers, lowest first; pass/fail becomes [fail 0, pass 1]. */
  tiers: Tier[];
  /** Score of the top tier: normalised score = tier score / topScore. */
  topScore: number;
  saturation: { a: number } | undefined;
  evaluator:
    | { type: 'verifier'; name: string; params: unknown }
    | { type: 'judge'; guidance: string | undefined };
  /** Rubric the criterion was written in (differs from the resolved rubric's id for includes). */
  fromRubric: string;
}

/** A rubric with its includes merged in, ready to score responses. */
export interface ResolvedRubric {
  id: string;
  version: number;
  title: string;
  scope: RubricFile['scope'];
  tags: string[];
  prompt: string | undefined;
  aggregation: Aggregation;
  criteria: ResolvedCriterion[];
  /** Ids of the rubrics folded in, in order, this one first. */
  sources: string[];
}

export const PASS_FAIL_TIERS: Tier[] = [
  { score: 0, label: 'fail', description: 'the criterion is not met' },
  { score: 1, label: 'pass', description: 'the criterion is met' },
];

/**
 * Merges a rubric with its includes (depth first, each included once, cycles rejected), checks that
 * criterion ids are unique, that interactions name existing criteria, and that every verifier exists
 * and accepts its parameters. Errors name the file, line and field.
 */
export function resolveRubric(options: {
  corpus: RubricCorpus;
  id: string;
  verifiers: VerifierRegistry;
}): ResolvedRubric {
  const { corpus, id, verifiers } = options;
  const root = corpus.get(id);
  if (root === undefined) {
    throw new ValidationError(`unknown rubric '${id}' (${corpus.size} rubrics loaded; see \`anchorage rubrics list\`)`);
  }
  const criteria: ResolvedCriterion[] = [];
  const seenCriteria = new Map<string, string>();
  const sources: string[] = [];
  const visit = (rubricId: string, stack: string[], from: { file: string; line: number }): void => {
    if (stack.includes(rubricId)) {
      throw new ValidationError(`include cycle: ${[...stack, rubricId].join(' -> ')}`, {
        location: { ...from, field: 'include' },
      });
    }
    if (sources.includes(rubricId)) return;
    const located = corpus.get(rubricId);
    if (located === undefined) {
      throw new ValidationError(`included rubric '${rubricId}' is not in the corpus`, {
        location: { ...from, field: 'include' },
      });
    }
    sources.push(rubricId);
    const here = { file: located.file, line: located.line };
    for (const inc of located.value.include) visit(inc, [...stack, rubricId], here);
    located.value.criteria.forEach((c, i) => {
      const prior = seenCriteria.get(c.id);
      if (prior !== undefined) {
        throw new ValidationError(`criterion id '${c.id}' is also defined in rubric '${prior}'`, {
          location: { ...here, field: formatFieldPath(['criteria', i, 'id']) },
        });
      }
      seenCriteria.set(c.id, rubricId);
      criteria.push(resolveCriterion({ criterion: c, rubricId, verifiers, where: here, index: i }));
    });
  };
  visit(id, [], { file: root.file, line: root.line });

  const rubric = root.value;
  if (criteria.length === 0) {
    throw new ValidationError('a rubric with at least one criterion (its own or included)', {
      location: { file: root.file, line: root.line, field: 'criteria' },
    });
  }
  rubric.aggregation.interactions.forEach((it, i) => {
    for (const key of ['a', 'b'] as const) {
      if (!seenCriteria.has(it[key])) {
        throw new ValidationError(`interaction names unknown criterion '${it[key]}'`, {
          location: { file: root.file, line: root.line, field: formatFieldPath(['aggregation', 'interactions', i, key]) },
        });
      }
    }
  });
  return {
    id: rubric.id,
    version: rubric.version,
    title: rubric.title,
    scope: rubric.scope,
    tags: rubric.tags,
    prompt: rubric.prompt,
    aggregation: rubric.aggregation,
    criteria,
    sources,
  };
}

function resolveCriterion(options: {
  criterion: Criterion;
  rubricId: string;
  verifiers: VerifierRegistry;
  where: { file: string; line: number };
  index: number;
}): ResolvedCriterion {
  const { criterion: c, rubricId, verifiers, where, index } = options;
  const tiers = c.tiers ?? PASS_FAIL_TIERS;
  let evaluator: ResolvedCriterion['evaluator'];
  if (c.evaluator.type === 'verifier') {
    const field = (...rest: (string | number)[]) => formatFieldPath(['criteria', index, 'evaluator', ...rest]);
    if (!verifiers.has(c.evaluator.name)) {
      throw new ValidationError(`unknown verifier '${c.evaluator.name}'; known: ${verifiers.names().join(', ')}`, {
        location: { ...where, field: field('name') },
      });
    }
    const parsed = verifiers.get(c.evaluator.name).params.safeParse(c.evaluator.params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError(`verifier '${c.evaluator.name}' parameters: ${issue.message}`, {
        location: { ...where, field: field('params', ...(issue.path as (string | number)[])) },
      });
    }
    evaluator = { type: 'verifier', name: c.evaluator.name, params: parsed.data };
  } else {
    evaluator = { type: 'judge', guidance: c.evaluator.guidance };
  }
  return {
    id: c.id,
    description: c.description,
    weight: c.weight,
    kind: c.kind,
    vetoThreshold: c.vetoThreshold,
    tiers,
    topScore: tiers.at(-1)!.score,
    saturation: c.saturation,
    evaluator,
    fromRubric: rubricId,
  };
}
