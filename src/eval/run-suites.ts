import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { LoadedRunConfig } from '../config/load.ts';
import type { SuiteAt } from '../contracts/evaluation-suites.ts';
import type { EvaluationSuiteSettings } from '../config/schema.ts';
import type { EvalSuite } from './suite.ts';
import { getSuite, suiteNames } from './suites.ts';
import { Address } from '../store/address.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * The registered suite a run configuration's `evaluation.suites` entry names, with its settings
 * (`prompts`: another input file in the suite's format).
 */
export function evaluationSuite(settings: EvaluationSuiteSettings): EvalSuite {
  return getSuite(settings.name, settings.prompts === undefined ? {} : { promptsFile: settings.prompts });
}

/**
 * The `anchorage eval` suites a run configuration names under `evaluation.suites`, checked before
 * the run starts: each name against the suite registry (the error lists the known suites), its
 * `prompts` file, and that the suite takes its settings. Returns the names in order: what the
 * workflows carry (the settings stay in the stored configuration).
 */
export function checkEvaluationSuites(loaded: LoadedRunConfig): string[] {
  const known = suiteNames();
  return loaded.config.evaluation.suites.map((suite, i) => {
    const at = (field: string) => loaded.where(['evaluation', 'suites', i, field]);
    if (!known.includes(suite.name)) {
      throw new ValidationError(
        `unknown evaluation suite '${suite.name}'; known: ${[...known].sort().join(', ') || '(none)'}`,
        { location: at('name') },
      );
    }
    if (suite.prompts !== undefined && !existsSync(suite.prompts)) {
      throw new ValidationError(`prompt file not found: ${suite.prompts}`, { location: at('prompts') });
    }
    let made: EvalSuite;
    try {
      made = evaluationSuite(suite);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      throw new ValidationError(err.message, { location: at('name'), cause: err });
    }
    if (made.kind === 'logprob' && suite.maxNewTokens !== undefined) {
      throw new ValidationError(
        `suite '${suite.name}' scores the log-probs of fixed texts and generates nothing: leave maxNewTokens out (chunkTokens sets its chunk length)`,
        { location: at('maxNewTokens') },
      );
    }
    if (made.kind === 'generation' && suite.chunkTokens !== undefined) {
      throw new ValidationError(
        `suite '${suite.name}' generates answers: leave chunkTokens out (maxNewTokens limits its answers)`,
        { location: at('chunkTokens') },
      );
    }
    return suite.name;
  });
}

/** The suites of `evaluation.suites` not run at every evaluation, with their `at`; undefined: none. */
export function evaluationSuitesAt(loaded: LoadedRunConfig): Record<string, SuiteAt> | undefined {
  const at = loaded.config.evaluation.suites.filter((s) => s.at !== 'every');
  return at.length === 0 ? undefined : Object.fromEntries(at.map((s) => [s.name, s.at]));
}

/**
 * One suite's evaluation of a checkpoint, as the store keeps it under
 * `runs/<id>/evals/step-<n>/suites/<suite>` (create-only): the summary numbers that go into the
 * run's metrics, and the answers and per-prompt results files of the evaluation folder.
 */
export const SuiteResultRecord = z.strictObject({
  format: z.literal('anchorage.eval-suite/1'),
  trainRunId: z.string(),
  /** The evaluation's step (after which step's checkpoint; 0: before training). */
  step: z.number().int().nonnegative(),
  suite: z.string(),
  /** How the suite measures: answers it generates, or log-probs of fixed texts. */
  kind: z.enum(['generation', 'logprob']),
  /** The checkpoint evaluated; null: the run's fresh adapters (the base policy). */
  checkpoint: Address.nullable(),
  /** What was evaluated (model, token limit, prompts), as the evaluation folder's spec says. */
  spec: z.record(z.string(), z.unknown()),
  summary: z.record(z.string(), z.number()),
  /**
   * The evaluation folder's files: `work`, what was computed line by line (answers.jsonl of a
   * generation suite, logprobs.jsonl of a logprob suite), and the scored `results`.
   */
  files: z.strictObject({ work: Address, results: Address }),
  /** Answers generated (or chunks scored) by the attempt that finished, and those an earlier one left. */
  computed: z.number().int().nonnegative(),
  resumed: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
});
export type SuiteResultRecord = z.infer<typeof SuiteResultRecord>;
