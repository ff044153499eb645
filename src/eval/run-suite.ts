import type { Policy } from '../engine/policy.ts';
import { ValidationError } from '../util/errors.ts';
import { type EvalProgress, type EvalResult, runEval } from './run-eval.ts';
import { type LogprobEvalResult, type LogprobProgress, runLogprobEval } from './run-logprob-eval.ts';
import type { EvalSuite } from './suite.ts';

export type SuiteProgress = ({ kind: 'generation' } & EvalProgress) | ({ kind: 'logprob' } & LogprobProgress);

export type SuiteResult =
  | { kind: 'generation'; result: EvalResult }
  | { kind: 'logprob'; result: LogprobEvalResult };

/**
 * Runs any suite into `outDir` by its kind: generation suites answer their prompts (greedy, at most
 * `maxNewTokens`), logprob suites score their texts (chunks of at most `chunkTokens`). A limit of
 * the other kind is refused, naming it.
 */
export async function runSuite(options: {
  policy: Policy;
  suite: EvalSuite;
  model: string;
  checkpoint: string | null;
  outDir: string;
  /** Generation suites: new-token limit (default: the suite's). */
  maxNewTokens?: number;
  /** Logprob suites: chunk length in tokens (default: the suite's). */
  chunkTokens?: number;
  /** Only the first n prompts or texts. */
  limit?: number;
  /** Answers generated together, or chunks scored together. */
  batchSize?: number;
  onProgress?: (progress: SuiteProgress) => void;
  signal?: AbortSignal;
}): Promise<SuiteResult> {
  const { policy, suite, model, checkpoint, outDir, onProgress } = options;
  const common = {
    policy,
    outDir,
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  if (suite.kind === 'logprob') {
    if (options.maxNewTokens !== undefined) {
      throw new ValidationError(
        `suite '${suite.name}' generates nothing: a new-token limit does not apply (its chunks take a chunk length)`,
      );
    }
    const result = await runLogprobEval({
      ...common,
      suite,
      spec: { model, checkpoint, chunkTokens: options.chunkTokens ?? suite.chunkTokens },
      ...(options.batchSize === undefined ? {} : { microBatchSize: options.batchSize }),
      ...(onProgress === undefined ? {} : { onProgress: (p) => onProgress({ kind: 'logprob', ...p }) }),
    });
    return { kind: 'logprob', result };
  }
  if (options.chunkTokens !== undefined) {
    throw new ValidationError(`suite '${suite.name}' generates answers: a chunk length does not apply`);
  }
  const result = await runEval({
    ...common,
    suite,
    spec: { model, checkpoint, maxNewTokens: options.maxNewTokens ?? suite.maxNewTokens },
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(onProgress === undefined ? {} : { onProgress: (p) => onProgress({ kind: 'generation', ...p }) }),
  });
  return { kind: 'generation', result };
}
