import { join } from 'node:path';
import { z } from 'zod';
import type { Policy } from '../engine/policy.ts';
import { ValidationError } from '../util/errors.ts';
import { EVAL_FILES, prepareEvalFolder, writeEvalResults } from './eval-folder.ts';
import { appendKeyedLine, readKeyedLines } from './keyed-lines.ts';
import { chunkTokenIds, negativeLogLikelihood } from './perplexity-math.ts';
import type { ChunkScore, EvalText, LogprobSuite, SuiteScores } from './suite.ts';

/** What a logprob evaluation is of: the same spec is required to resume into a folder. */
export const LogprobSpec = z.object({
  suite: z.string(),
  kind: z.literal('logprob'),
  /** The suite's input when not its bundled data. */
  input: z.string().optional(),
  model: z.string(),
  /** The LoRA checkpoint folder, or null for the base model. */
  checkpoint: z.string().nullable(),
  chunkTokens: z.number().int().min(2),
  texts: z.number().int().positive(),
  chunks: z.number().int().nonnegative(),
});
export type LogprobSpec = z.infer<typeof LogprobSpec>;

/** One line of logprobs.jsonl: a chunk's scored tokens and their summed negative log-probs. */
export const ChunkLine = z.strictObject({
  key: z.string().min(1),
  text: z.string().min(1),
  chunk: z.number().int().nonnegative(),
  tokens: z.number().int().positive(),
  nats: z.number().finite(),
});

export interface LogprobProgress {
  /** Chunks scored, resumed ones included. */
  done: number;
  total: number;
  /** Chunks scored by this call (the rest were resumed). */
  scored: number;
  /** Tokens scored by this call. */
  tokens: number;
  seconds: number;
}

export interface LogprobEvalResult {
  spec: LogprobSpec;
  scores: SuiteScores;
  /** Chunks found in the folder, not scored again. */
  resumed: number;
  scored: number;
  tokens: number;
  seconds: number;
}

interface PlannedChunk {
  key: string;
  text: string;
  chunk: number;
  ids: number[];
}

/**
 * Every chunk of the texts, encoded as the model's tokenizer encodes plain text (with BOS when the
 * model adds one, so then the first text token is scored too; without, it is context only).
 */
export function planChunks(options: {
  texts: readonly EvalText[];
  encode: (text: string) => number[];
  chunkTokens: number;
}): PlannedChunk[] {
  return options.texts.flatMap((t) =>
    chunkTokenIds({ ids: options.encode(t.text), size: options.chunkTokens }).map((ids, chunk) => ({
      key: `${t.key}#${chunk}`,
      text: t.key,
      chunk,
      ids,
    })),
  );
}

/**
 * Evaluates a policy on a logprob suite into `outDir`: each chunk's tokens are scored by teacher
 * forcing (the trainer's log-prob graph, temperature 1), micro-batch by micro-batch, and each
 * chunk's summed negative log-prob is appended to logprobs.jsonl as soon as it is known; then the
 * suite's scores (results.jsonl per chunk, summary.json). Run again on the same folder it resumes:
 * scored chunks are kept. A folder holding another evaluation is refused.
 */
export async function runLogprobEval(options: {
  policy: Policy;
  suite: LogprobSuite;
  spec: { model: string; checkpoint: string | null; chunkTokens: number };
  outDir: string;
  /** Only the first n texts (a quick look). */
  limit?: number;
  /** Chunks scored together (default 2: a 512-token chunk holds 512 x vocabulary logits). */
  microBatchSize?: number;
  onProgress?: (progress: LogprobProgress) => void;
  signal?: AbortSignal;
}): Promise<LogprobEvalResult> {
  const { policy, suite, outDir } = options;
  const texts = suite.texts().slice(0, options.limit);
  const planned = planChunks({
    texts,
    encode: (text) => policy.tokenizer.encode(text, { parseSpecial: false }),
    chunkTokens: options.spec.chunkTokens,
  });
  const spec: LogprobSpec = {
    suite: suite.name,
    kind: 'logprob',
    ...(suite.input === undefined ? {} : { input: suite.input }),
    ...options.spec,
    texts: texts.length,
    chunks: planned.length,
  };
  prepareEvalFolder({ outDir, spec });
  const file = join(outDir, EVAL_FILES.logprobs);
  const { records: done } = readKeyedLines({ file, schema: ChunkLine, what: 'chunk' });
  const byKey = new Map(planned.map((c) => [c.key, c]));
  for (const [key, line] of done) {
    const plan = byKey.get(key);
    if (plan === undefined || plan.ids.length - 1 !== line.tokens) {
      throw new ValidationError(`holds chunk '${key}', which is not a chunk of this evaluation`, {
        location: { file },
      });
    }
  }
  const resumed = done.size;
  const pending = planned.filter((c) => !done.has(c.key));
  const started = performance.now();
  let scored = 0;
  let tokens = 0;
  const report = () =>
    options.onProgress?.({
      done: done.size,
      total: planned.length,
      scored,
      tokens,
      seconds: (performance.now() - started) / 1000,
    });
  report();
  const batch = options.microBatchSize ?? 2;
  for (let i = 0; i < pending.length; i += batch) {
    if (options.signal?.aborted) throw options.signal.reason;
    const part = pending.slice(i, i + batch);
    const { logprobs } = await policy.logprobs({
      sequences: part.map((c) => ({ promptIds: c.ids.slice(0, 1), responseIds: c.ids.slice(1) })),
      microBatchSize: batch,
    });
    part.forEach((c, j) => {
      const line = {
        key: c.key,
        text: c.text,
        chunk: c.chunk,
        tokens: c.ids.length - 1,
        nats: negativeLogLikelihood(logprobs[j] as number[]),
      };
      appendKeyedLine({ file, schema: ChunkLine, record: line });
      done.set(c.key, line);
      scored++;
      tokens += line.tokens;
    });
    report();
  }
  const chunks: ChunkScore[] = planned.map((c) => done.get(c.key) as ChunkScore);
  const scores = await suite.score({ texts, chunks });
  const seconds = (performance.now() - started) / 1000;
  writeEvalResults({
    outDir,
    rows: scores.rows,
    summary: { ...spec, ...scores.summary, resumed, scored, seconds },
  });
  return { spec, scores, resumed, scored, tokens, seconds };
}
