import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';
import { describeIssue, lineAt } from '../util/yaml-documents.ts';
import type { LocatedRubric, RubricCorpus } from './corpus.ts';
import type { RubricLookup } from './lazy-corpus.ts';
import type { Aggregation, Criterion, RubricFile, Tier } from './schema.ts';
import type { VerifierRegistry } from './verifiers/registry.ts';
import { checkWeights } from './weight-checks.ts';

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
  corpus: RubricLookup;
  id: string;
  verifiers: VerifierRegistry;
}): ResolvedRubric {
  const { corpus, id, verifiers } = options;
  const root = corpus.get(id);
  if (root === undefined) {
    throw new ValidationError(
      `unknown rubric '${id}' (${corpus.size} rubrics loaded; see \`anchorage rubrics list\`)`,
    );
  }
  const criteria: ResolvedCriterion[] = [];
  const seenCriteria = new Map<
    string,
    { rubric: string; file: string; line: number; weightAt: { line: number; field: string } }
  >();
  const sources: string[] = [];
  /** `from`: the include entry that named this rubric (undefined for the root). */
  const visit = (
    rubricId: string,
    stack: string[],
    from: { file: string; line: number; field: string } | undefined,
  ): void => {
    if (stack.includes(rubricId)) {
      throw new ValidationError(`include cycle: ${[...stack, rubricId].join(' -> ')}`, {
        location: from ?? {},
      });
    }
    if (sources.includes(rubricId)) return;
    const located = corpus.get(rubricId);
    if (located === undefined) {
      throw new ValidationError(`included rubric '${rubricId}' is not in the corpus`, {
        location: from ?? {},
      });
    }
    sources.push(rubricId);
    located.value.include.forEach((inc, i) => {
      const field = formatFieldPath(['include', i]);
      visit(inc, [...stack, rubricId], { file: located.file, line: lineAt(located, ['include', i]), field });
    });
    located.value.criteria.forEach((c, i) => {
      const at = { file: located.file, line: lineAt(located, ['criteria', i, 'id']) };
      const prior = seenCriteria.get(c.id);
      if (prior !== undefined) {
        const where = prior.rubric === rubricId ? '' : ` in rubric '${prior.rubric}'`;
        throw new ValidationError(
          `criterion id '${c.id}' is already defined${where} at ${prior.file}:${prior.line}`,
          {
            location: { ...at, field: formatFieldPath(['criteria', i, 'id']) },
          },
        );
      }
      const weightPath = ['criteria', i, 'weight'];
      const weightAt = { line: lineAt(located, weightPath), field: formatFieldPath(weightPath) };
      seenCriteria.set(c.id, { rubric: rubricId, ...at, weightAt });
      criteria.push(resolveCriterion({ criterion: c, rubricId, verifiers, located, index: i }));
    });
  };
  visit(id, [], undefined);

  const rubric = root.value;
  if (criteria.length === 0) {
    throw new ValidationError('a rubric with at least one criterion (its own or included)', {
      location: { file: root.file, line: root.line, field: 'criteria' },
    });
  }
  rubric.aggregation.interactions.forEach((it, i) => {
    for (const key of ['a', 'b'] as const) {
      if (!seenCriteria.has(it[key])) {
        const path = ['aggregation', 'interactions', i, key];
        throw new ValidationError(
          `interaction names unknown criterion '${it[key]}'; known: ${[...seenCriteria.keys()].join(', ')}`,
          {
            location: { file: root.file, line: lineAt(root, path), field: formatFieldPath(path) },
          },
        );
      }
    }
  });
  checkWeights({
    rubricId: rubric.id,
    criteria: criteria.map((c) => {
      const at = seenCriteria.get(c.id)!;
      return { id: c.id, weight: c.weight, location: { file: at.file, ...at.weightAt } };
    }),
    interactions: rubric.aggregation.interactions,
    rubricLocation: { file: root.file, line: lineAt(root, ['criteria']), field: 'criteria' },
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
  located: LocatedRubric;
  index: number;
}): ResolvedCriterion {
  const { criterion: c, rubricId, verifiers, located, index } = options;
  const tiers = c.tiers ?? PASS_FAIL_TIERS;
  let evaluator: ResolvedCriterion['evaluator'];
  if (c.evaluator.type === 'verifier') {
    const at = (...rest: (string | number)[]) => {
      const path = ['criteria', index, 'evaluator', ...rest];
      return { file: located.file, line: lineAt(located, path), field: formatFieldPath(path) };
    };
    if (!verifiers.has(c.evaluator.name)) {
      throw new ValidationError(
        `unknown verifier '${c.evaluator.name}'; known: ${verifiers.names().join(', ')}`,
        {
          location: at('name'),
        },
      );
    }
    const parsed = verifiers.get(c.evaluator.name).params.safeParse(c.evaluator.params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path as (string | number)[];
      // An unknown parameter is reported at its own key, like unknown keys elsewhere in the file.
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown parameter '${issue.keys[0]}'`
          : `expected ${describeIssue(issue)}`;
      const where = issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]!] : path;
      throw new ValidationError(`verifier '${c.evaluator.name}' parameters: ${message}`, {
        location: at('params', ...where),
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

/**
 * Resolves every rubric of a corpus. Without `onError` the first error throws; with it, each distinct
 * error is reported once, failing rubrics are left out, and the others are returned.
 */
export function resolveAll(options: {
  corpus: RubricCorpus;
  verifiers: VerifierRegistry;
  onError?: (error: ValidationError) => void;
}): ResolvedRubric[] {
  const { corpus, verifiers, onError } = options;
  const out: ResolvedRubric[] = [];
  // A broken rubric that many others include would otherwise be reported once per includer.
  const reported = new Set<string>();
  for (const id of corpus.ids()) {
    try {
      out.push(resolveRubric({ corpus, id, verifiers }));
    } catch (err) {
      if (onError === undefined || !(err instanceof ValidationError)) throw err;
      if (!reported.has(err.message)) onError(err);
      reported.add(err.message);
    }
  }
  return out;
}
