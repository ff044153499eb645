/**
 * Splits a step's training sequences into `count` mini-batches, one optimizer step each, in order
 * and as equal in size as they can be (sizes differ by at most one; never an empty one). Sequences
 * come grouped by prompt, so contiguous chunks keep most groups whole.
 */
export function splitMiniBatches<T>(items: readonly T[], count: number): T[][] {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`mini-batch count must be an integer >= 1, got ${count}`);
  const parts = Math.min(count, items.length);
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(items.length / parts) + (i < items.length % parts ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/** What each optimizer step reports, combined over a step's mini-batches. */
export interface MiniBatchOutcome {
  loss: number;
  metrics: Record<string, number>;
  sequences: number;
  tokens: number;
}

/**
 * Combines the mini-batches' results: metrics and loss are means weighted by each mini-batch's
 * sequences (a metric one mini-batch lacks is averaged over those that have it); counts add up.
 */
export function combineMiniBatches(results: readonly MiniBatchOutcome[]): MiniBatchOutcome {
  if (results.length === 0) throw new RangeError('no mini-batch results to combine');
  const sums = new Map<string, { sum: number; weight: number }>();
  let sequences = 0;
  let tokens = 0;
  let loss = 0;
  for (const r of results) {
    sequences += r.sequences;
    tokens += r.tokens;
    loss += r.loss * r.sequences;
    for (const [k, v] of Object.entries(r.metrics)) {
      const s = sums.get(k) ?? { sum: 0, weight: 0 };
      s.sum += v * r.sequences;
      s.weight += r.sequences;
      sums.set(k, s);
    }
  }
  return {
    loss: loss / sequences,
    metrics: Object.fromEntries([...sums].map(([k, s]) => [k, s.sum / s.weight])),
    sequences,
    tokens,
  };
}
