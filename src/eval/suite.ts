import type { Prompt } from '../engine/prompts.ts';
import { UnknownNameError } from '../util/errors.ts';
import type { AnswerLine } from './answers-file.ts';

/** One prompt of an evaluation suite. */
export interface EvalPrompt {
  /** Unique within the suite; names the prompt in answer and result files. */
  readonly key: string;
  /** The prompt as its source gives it (responses from elsewhere may name it by this text). */
  readonly text: string;
  readonly prompt: Prompt;
}

/** What a suite computes from its answers: a row per answer and a summary of numbers. */
export interface SuiteScores {
  readonly rows: readonly Record<string, unknown>[];
  readonly summary: Readonly<Record<string, number>>;
  /** Lines printed for a person, figures first. */
  readonly table: readonly string[];
}

/**
 * An evaluation suite: a fixed list of prompts and how answers to them are scored. Suites are
 * registered by name; `anchorage eval --suite <name>` and run configs select them.
 */
export interface EvalSuite {
  readonly name: string;
  readonly description: string;
  /** Default new-token limit of its answers. */
  readonly maxNewTokens: number;
  prompts(): EvalPrompt[];
  score(options: {
    prompts: readonly EvalPrompt[];
    answers: ReadonlyMap<string, AnswerLine>;
  }): Promise<SuiteScores>;
}

/** How a suite may be adapted: another prompt file in the suite's own format. */
export interface SuiteOptions {
  promptsFile?: string;
}

const SUITES = new Map<string, (options: SuiteOptions) => EvalSuite>();

export function registerSuite(name: string, make: (options: SuiteOptions) => EvalSuite): void {
  if (SUITES.has(name)) throw new Error(`evaluation suite '${name}' is already registered`);
  SUITES.set(name, make);
}

export function getSuite(name: string, options: SuiteOptions = {}): EvalSuite {
  const make = SUITES.get(name);
  if (make === undefined) throw new UnknownNameError('evaluation suite', name, [...SUITES.keys()]);
  return make(options);
}

export function suiteNames(): string[] {
  return [...SUITES.keys()];
}
