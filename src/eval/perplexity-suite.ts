import { resolve } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../util/errors.ts';
import { readJsonl } from '../util/jsonl.ts';
import { pooledPerplexity } from './perplexity-math.ts';
import {
  type ChunkScore,
  type EvalText,
  type LogprobSuite,
  onlyOptions,
  type SuiteOptions,
  type SuiteScores,
} from './suite.ts';

/**
 * The bundled texts: 64 passages of human writing that no training source uses. They are the
 * `example` texts of COLLIE's Project Gutenberg groups (princeton-nlp/Collie, MIT; the books are in
 * the public domain): the first 64 distinct passages of at least 100 words, in COLLIE's order
 * (10,672 words). See data/perplexity/README.md and NOTICE.
 */
export const PERPLEXITY_TEXTS_FILE = resolve(
  import.meta.dirname,
  '../../data/perplexity/gutenberg-collie-64.jsonl',
);

/**
 * Default chunk length: texts are scored in chunks of at most 512 tokens (511 scored tokens with
 * their context). Most bundled passages fit one chunk (the longest, 581 words, takes two); the
 * log-prob graph holds [micro-batch, 512, vocabulary] logits at once, which 512 keeps small.
 */
export const PERPLEXITY_CHUNK_TOKENS = 512;

/** One line of a texts file: an id and the text; other fields (title, author) are kept as given. */
export const PerplexityText = z.looseObject({
  id: z.string().min(1),
  text: z.string().min(1),
});

/** The texts of a file; ids must be unique (errors name the file and line). */
export function readPerplexityTexts(file: string): EvalText[] {
  const seen = new Set<string>();
  return readJsonl({ file, schema: PerplexityText }).map(({ value, line }) => {
    if (seen.has(value.id)) {
      throw new ValidationError(`a second text with id '${value.id}'`, {
        location: { file, line, field: 'id' },
      });
    }
    seen.add(value.id);
    return { key: value.id, text: value.text };
  });
}

/**
 * Perplexity of the policy on fixed human-written text: nothing is generated; each text is cut into
 * chunks (see `chunkTokenIds`) whose tokens are scored by teacher forcing, as the trainer scores
 * responses. Reports the pooled perplexity exp(nats / tokens) and the mean nats per token. Raw text,
 * no chat template: it measures the language model under the chat tuning, the ability RL must not
 * erode.
 */
export function perplexitySuite(options: SuiteOptions = {}): LogprobSuite {
  onlyOptions('perplexity', options, ['promptsFile']);
  const file = options.promptsFile ?? PERPLEXITY_TEXTS_FILE;
  return {
    kind: 'logprob',
    name: 'perplexity',
    description: `perplexity on ${file}: exp(mean negative log-likelihood per token), teacher forcing`,
    ...(options.promptsFile === undefined ? {} : { input: resolve(options.promptsFile) }),
    chunkTokens: PERPLEXITY_CHUNK_TOKENS,
    texts: () => readPerplexityTexts(file),
    score: async ({ texts, chunks }) => scorePerplexity({ texts, chunks }),
  };
}

/** The rows (one per chunk) and the pooled figures. */
export function scorePerplexity(options: {
  texts: readonly EvalText[];
  chunks: readonly ChunkScore[];
}): SuiteScores {
  const { texts, chunks } = options;
  const rows = chunks.map((c) => ({
    key: c.key,
    text: c.text,
    chunk: c.chunk,
    tokens: c.tokens,
    nats: c.nats,
    natsPerToken: c.tokens === 0 ? null : c.nats / c.tokens,
  }));
  const pooled = pooledPerplexity(chunks);
  const summary: Record<string, number> = {
    texts: texts.length,
    chunks: chunks.length,
    tokens: pooled.tokens,
    nats: pooled.nats,
  };
  if (pooled.natsPerToken !== null && pooled.perplexity !== null) {
    summary['natsPerToken'] = pooled.natsPerToken;
    summary['perplexity'] = pooled.perplexity;
  }
  const table = [
    pooled.perplexity === null
      ? '  perplexity: n/a (no token scored)'
      : `  perplexity ${pooled.perplexity.toFixed(3)}  (${(pooled.natsPerToken ?? 0).toFixed(4)} nats per token)`,
    `  ${texts.length} texts, ${chunks.length} chunks, ${pooled.tokens} tokens scored`,
  ];
  return { rows, summary, table };
}
