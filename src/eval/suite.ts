import type { Prompt } from '../engine/prompts.ts';
import { UnknownNameError, ValidationError } from '../util/errors.ts';
import type { AnswerLine } from './answers-file.ts';

/** One prompt of an evaluation suite. */
export interface EvalPrompt {
  /** Unique within the suite; names the prompt in answer and result files. */
  readonly key: string;
  /** The prompt as its source gives it (responses from elsewhere may name it by this text). */
  readonly text: string;
  readonly prompt: Prompt;
}

/** One text whose log-probs a suite measures (a passage of human writing). */
export interface EvalText {
  /** Unique within the suite; chunk keys are `<key>#<chunk>`. */
  readonly key: string;
  readonly text: string;
}

/** The summed log-probs of one chunk of a text under the policy (teacher forcing). */
export interface ChunkScore {
  /** `<text key>#<chunk index>`. */
  readonly key: string;
  /** The text's key. */
  readonly text: string;
  readonly chunk: number;
  /** Tokens scored: the chunk's tokens after its first, which is context only. */
  readonly tokens: number;
  /** Negative log-likelihood of those tokens, in nats (natural log). */
  readonly nats: number;
}

/** What a suite computes from its answers: a row per answer and a summary of numbers. */
export interface SuiteScores {
  readonly rows: readonly Record<string, unknown>[];
  /** Flat numeric keys, slash-namespaced (`reward/mean`, `rate/all`). */
  readonly summary: Readonly<Record<string, number>>;
  /** Lines printed for a person, figures first. */
  readonly table: readonly string[];
}

interface SuiteBase {
  readonly name: string;
  readonly description: string;
  /**
   * What the suite reads when it is not its bundled data (another prompt file, a run config and
   * source): part of the evaluation's spec, so a folder is resumed only on the same input.
   */
  readonly input?: string;
  /** The model to evaluate when none is named (a run config's model). */
  readonly defaultModel?: string;
}

/** A suite that generates an answer to each of its prompts and scores the answers. */
export interface GenerationSuite extends SuiteBase {
  readonly kind: 'generation';
  /** Default new-token limit of its answers. */
  readonly maxNewTokens: number;
  prompts(): EvalPrompt[];
  score(options: {
    prompts: readonly EvalPrompt[];
    answers: ReadonlyMap<string, AnswerLine>;
  }): Promise<SuiteScores>;
}

/** A suite that generates nothing: it scores the log-probs of fixed texts (perplexity). */
export interface LogprobSuite extends SuiteBase {
  readonly kind: 'logprob';
  /** Default chunk length in tokens: texts are cut into chunks of at most this many. */
  readonly chunkTokens: number;
  texts(): EvalText[];
  score(options: { texts: readonly EvalText[]; chunks: readonly ChunkScore[] }): Promise<SuiteScores>;
}

/**
 * An evaluation suite. Suites are registered by name; `anchorage eval --suite <name>` and run
 * configs select them. `kind` says how a suite is run: generation suites answer prompts, logprob
 * suites score given texts.
 */
export type EvalSuite = GenerationSuite | LogprobSuite;

/** How a suite may be adapted; each suite says which of these it takes. */
export interface SuiteOptions {
  /** Another input file in the suite's own format (prompts, or texts). */
  promptsFile?: string;
  /** A run configuration whose prompt source the suite evaluates. */
  config?: string;
  /** The source of that configuration. */
  source?: string;
  /** An LLM judge configuration for judged rubric criteria. */
  judge?: string;
}

/** Refuses options a suite does not take, naming the flag. */
export function onlyOptions(
  suite: string,
  options: SuiteOptions,
  allowed: readonly (keyof SuiteOptions)[],
): void {
  const flags: Record<keyof SuiteOptions, string> = {
    promptsFile: '--prompts',
    config: '--config',
    source: '--source',
    judge: '--judge',
  };
  for (const key of Object.keys(flags) as (keyof SuiteOptions)[]) {
    if (options[key] !== undefined && !allowed.includes(key)) {
      const takes = allowed.map((k) => flags[k]).join(', ') || 'none';
      throw new ValidationError(`suite '${suite}' does not take ${flags[key]} (it takes: ${takes})`);
    }
  }
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
