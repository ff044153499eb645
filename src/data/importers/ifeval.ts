import { readIfevalPrompts } from '../../rubric/verifiers/ifeval/results.ts';
import { ValidationError } from '../../util/errors.ts';
import { EVAL_ONLY_TAG, type LocatedPrompt } from '../prompt-record.ts';

/**
 * IFEval prompts (`input_data.jsonl`) for evaluation: each names its instance rubric
 * `ifeval/<key>` (bundled in `rubrics/ifeval/`, one pass/fail criterion per instruction) and carries
 * the `eval-only` tag, so a run refuses to train on it.
 */
export function importIfevalPrompts(options: { file: string; sourceName?: string }): LocatedPrompt[] {
  const { file, sourceName = 'ifeval' } = options;
  return readIfevalPrompts(file).map(({ value, line }) => {
    if (value.key === undefined) {
      throw new ValidationError('expected a `key` (prompt ids are ifeval/<key>)', {
        location: { file, line, field: 'key' },
      });
    }
    return {
      record: {
        id: `ifeval/${value.key}`,
        prompt: value.prompt,
        tags: ['ifeval', EVAL_ONLY_TAG],
        rubricId: `ifeval/${value.key}`,
        source: `IFEval prompt ${value.key}`,
      },
      file,
      line,
      sourceName,
    };
  });
}
