import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';
import { describeIssue } from '../util/yaml-documents.ts';
import { RubricCorpus } from '../rubric/corpus.ts';
import { resolveRubric } from '../rubric/resolve.ts';
import { RubricFile } from '../rubric/schema.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';

export type Validated = { ok: true; rubric: RubricFile } | { ok: false; error: string };

/**
 * A rubric document checked as the corpus checks it: the rubric schema (src/rubric/schema.ts), then
 * resolution (unique criterion ids, known verifiers with valid parameters, weights). The error
 * names the field (`field criteria[1].evaluator.params.n: ...`).
 */
export function validateRubric(options: { value: unknown; verifiers: VerifierRegistry }): Validated {
  const parsed = RubricFile.safeParse(options.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      error: `field ${formatFieldPath(issue.path as PropertyKey[]) || '(rubric)'}: expected ${describeIssue(issue)}`,
    };
  }
  const corpus = new RubricCorpus();
  corpus.add({ value: parsed.data, file: '(generated)', line: 1, index: 0 });
  try {
    resolveRubric({ corpus, id: parsed.data.id, verifiers: options.verifiers });
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return { ok: false, error: err.message.replace(/^\(generated\):1, /, '') };
  }
  return { ok: true, rubric: parsed.data };
}
