import { ValidationError } from '../util/errors.ts';

/**
 * Cuts a text's token ids into chunks of at most `size` tokens for teacher-forced scoring. Each
 * chunk's first token is context only: it is the previous chunk's last token (the stride is
 * size - 1), so every token of the text but its first is scored exactly once, each with at most
 * size - 1 tokens of context. A text of fewer than 2 tokens gives no chunk.
 *
 *   ids [a b c d e f g], size 3  ->  [a b c] [c d e] [e f g]   (scored: b c | d e | f g)
 */
export function chunkTokenIds(options: { ids: readonly number[]; size: number }): number[][] {
  const { ids, size } = options;
  if (!Number.isInteger(size) || size < 2) {
    throw new ValidationError(`chunk size must be an integer of at least 2 tokens, got ${size}`);
  }
  const chunks: number[][] = [];
  for (let start = 0; start + 1 < ids.length; start += size - 1) {
    chunks.push(ids.slice(start, start + size));
  }
  return chunks;
}

/** Negative log-likelihood in nats of the given per-token log-probs (natural log). */
export function negativeLogLikelihood(logprobs: readonly number[]): number {
  let nats = 0;
  for (const lp of logprobs) nats -= lp;
  return nats;
}

/**
 * Corpus perplexity: exp of the mean negative log-likelihood per scored token, pooled over chunks
 * (tokens weigh equally, whatever chunk they are in). Null when nothing was scored.
 */
export function pooledPerplexity(chunks: readonly { tokens: number; nats: number }[]): {
  tokens: number;
  nats: number;
  natsPerToken: number | null;
  perplexity: number | null;
} {
  let tokens = 0;
  let nats = 0;
  for (const c of chunks) {
    tokens += c.tokens;
    nats += c.nats;
  }
  if (tokens === 0) return { tokens, nats, natsPerToken: null, perplexity: null };
  const natsPerToken = nats / tokens;
  return { tokens, nats, natsPerToken, perplexity: Math.exp(natsPerToken) };
}
