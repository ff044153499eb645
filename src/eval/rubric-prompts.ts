import { resolve } from 'node:path';
import { prepareRun } from '../config/check.ts';
import { loadRunConfig } from '../config/load.ts';
import { rubricsForPrompt, type WeightedRubric } from '../config/rubric-rules.ts';
import { readPromptFile } from '../data/jsonl-source.ts';
import type { LocatedPrompt } from '../data/prompt-record.ts';
import { promptRubricCorpus } from '../data/prompt-set.ts';
import { corpusPaths } from '../rubric/default-corpus.ts';
import { createJudge, createJudgeFromFile } from '../rubric/judge/llm-judge.ts';
import type { MeteredRubricJudge } from '../rubric/judge/types.ts';
import { LazyRubricCorpus, type RubricLookup } from '../rubric/lazy-corpus.ts';
import { type ResolvedRubric, resolveRubric } from '../rubric/resolve.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { UnknownNameError, ValidationError } from '../util/errors.ts';

/** A prompt with the rubrics that score its responses, and their weights. */
export interface RubricPrompt {
  prompt: LocatedPrompt;
  rubrics: WeightedRubric[];
}

/** Prompts with rubrics, every rubric resolved, and the judge for judged criteria (if any). */
export interface RubricPromptSet {
  prompts: RubricPrompt[];
  resolved: Map<string, ResolvedRubric>;
  verifiers: VerifierRegistry;
  judge: MeteredRubricJudge | undefined;
  /** What was read: `<config>#<source>` or the prompts file. */
  input: string;
  /** The configuration's model and answer length, when read from a configuration. */
  model?: string;
  maxNewTokens?: number;
}

/** Resolves every rubric the prompts name (once each); errors name the prompt's file and line. */
function resolveAll(options: {
  prompts: readonly RubricPrompt[];
  corpus: RubricLookup;
  verifiers: VerifierRegistry;
}): Map<string, ResolvedRubric> {
  const resolved = new Map<string, ResolvedRubric>();
  for (const { prompt, rubrics } of options.prompts) {
    for (const w of rubrics) {
      if (resolved.has(w.rubricId)) continue;
      try {
        resolved.set(
          w.rubricId,
          resolveRubric({ corpus: options.corpus, id: w.rubricId, verifiers: options.verifiers }),
        );
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        throw new ValidationError(`prompt '${prompt.record.id}': ${err.message}`, {
          location: { file: prompt.file, line: prompt.line },
          cause: err,
        });
      }
    }
  }
  return resolved;
}

/**
 * The prompts of one source of a run configuration, loaded and checked the way a run loads them
 * (`prepareRun`), each with the rubrics the run would score it by (its instance rubric and the
 * first stage's `rubrics.apply` rules, as the run's evaluation does), and the run's judge.
 */
export function promptsFromConfig(options: {
  config: string;
  source: string;
  env?: NodeJS.ProcessEnv;
}): RubricPromptSet {
  const { config, source, env = process.env } = options;
  const prepared = prepareRun({ loaded: loadRunConfig(config, { env }), env });
  const located = prepared.prompts.bySource.get(source);
  if (located === undefined) {
    throw new UnknownNameError(`prompt source of ${config}`, source, [...prepared.prompts.bySource.keys()]);
  }
  const first = prepared.loaded.stages[0]!;
  const prompts = located.map((prompt) => ({
    prompt,
    rubrics: rubricsForPrompt({ prompt, ...first.rubrics }),
  }));
  const noRubric = prompts.find((p) => p.rubrics.length === 0);
  if (noRubric !== undefined) {
    throw new ValidationError(
      `prompt '${noRubric.prompt.record.id}' of source '${source}' has no rubric: give it an instance rubric or add a rule to rubrics.apply`,
      { location: { file: noRubric.prompt.file, line: noRubric.prompt.line } },
    );
  }
  const verifiers = defaultVerifiers();
  const { config: run } = prepared.loaded;
  return {
    prompts,
    resolved: resolveAll({ prompts, corpus: prepared.prompts.corpus, verifiers }),
    verifiers,
    judge: prepared.judge === undefined ? undefined : createJudge(prepared.judge, { env }),
    input: `${resolve(config)}#${source}`,
    model: run.model.path,
    maxNewTokens: run.evaluation.maxNewTokens ?? first.rl.maxNewTokens,
  };
}

/**
 * Prompts of a JSON-lines file (`PromptRecord` per line), each scored by its own instance rubric
 * (inline, or a corpus rubric named by `rubricId`); `judge` is a judge configuration file.
 */
export function promptsFromFile(options: {
  file: string;
  judge?: string;
  env?: NodeJS.ProcessEnv;
}): RubricPromptSet {
  const { file, env = process.env } = options;
  const located = readPromptFile({ file });
  const corpus = promptRubricCorpus({ prompts: located, baseCorpus: new LazyRubricCorpus(corpusPaths(env)) });
  const prompts = located.map((prompt) => ({
    prompt,
    rubrics: rubricsForPrompt({ prompt, instanceWeight: 1, apply: [] }),
  }));
  const noRubric = prompts.find((p) => p.rubrics.length === 0);
  if (noRubric !== undefined) {
    throw new ValidationError('expected a rubric: `rubricId` or an inline `rubric`', {
      location: { file, line: noRubric.prompt.line, field: 'rubric' },
    });
  }
  const verifiers = defaultVerifiers();
  return {
    prompts,
    resolved: resolveAll({ prompts, corpus, verifiers }),
    verifiers,
    judge: options.judge === undefined ? undefined : createJudgeFromFile(options.judge, { env }),
    input: resolve(file),
  };
}
