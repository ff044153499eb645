import { NonFiniteError } from '../../rl/optim/non-finite.ts';

/** One drawn token and its log-probabilities. */
export interface TokenDraw {
  readonly token: number;
  /** log p(token) under the model's raw distribution: log-softmax of the logits at temperature 1. */
  readonly logprob: number;
  /**
   * log q(token) under the distribution actually sampled from (temperature, top-k and top-p
   * applied, renormalised); 0 for greedy decoding, where the draw is certain.
   */
  readonly samplingLogprob: number;
}

export interface TokenSamplingOptions {
  /** One row of logits (length = vocabulary size). */
  readonly logits: Float32Array | Float64Array;
  readonly temperature: number;
  readonly topP: number;
  readonly topK: number;
  /** A uniform in [0, 1) that decides the draw (inverse CDF). */
  readonly u: number;
  /** Reused between calls to avoid allocating a vocabulary-sized array per token. */
  readonly scratch?: Float64Array;
}

/**
 * Draws one token from a row of logits. Candidates are visited in a fixed order (by probability,
 * then by id), so the draw is a pure function of the logits and `u`.
 */
export function sampleToken(options: TokenSamplingOptions): TokenDraw {
  const { logits, temperature, topP, topK, u } = options;
  const vocab = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  let argmax = 0;
  for (let i = 0; i < vocab; i++) {
    const l = logits[i] as number;
    if (l > max) {
      max = l;
      argmax = i;
    } else if (Number.isNaN(l)) throw new NonFiniteError(`logit ${i} is NaN`);
  }
  if (!Number.isFinite(max)) throw new NonFiniteError(`the largest logit is ${max}`);
  const weights =
    options.scratch !== undefined && options.scratch.length >= vocab
      ? options.scratch
      : new Float64Array(vocab);
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp((logits[i] as number) - max);
  const lse = max + Math.log(sum);
  const rawLogprob = (t: number) => (logits[t] as number) - lse;
  if (temperature === 0) return { token: argmax, logprob: rawLogprob(argmax), samplingLogprob: 0 };

  // Weights of the tempered distribution, relative to its largest entry (which has weight 1).
  const invT = 1 / temperature;
  let total = 0;
  for (let i = 0; i < vocab; i++) {
    const w = Math.exp(((logits[i] as number) - max) * invT);
    weights[i] = w;
    total += w;
  }
  const useTopK = topK > 0 && topK < vocab;
  if (!useTopK && topP >= 1) {
    const token = inverseCdf({ weights, order: undefined, count: vocab, target: u * total });
    return {
      token,
      logprob: rawLogprob(token),
      samplingLogprob: Math.log((weights[token] as number) / total),
    };
  }
  const ranked = useTopK ? topKIndices(weights, topK) : nucleusCandidates(weights, total, topP);
  // Top-p measures against the whole tempered distribution, or against the top-k set when both apply.
  let mass = total;
  if (useTopK) {
    mass = 0;
    for (const i of ranked) mass += weights[i] as number;
  }
  let kept = ranked.length;
  if (topP < 1) {
    let cum = 0;
    for (let j = 0; j < ranked.length; j++) {
      cum += weights[ranked[j] as number] as number;
      if (cum >= topP * mass) {
        kept = j + 1;
        break;
      }
    }
    mass = cum; // the kept prefix's weight (all candidates if rounding kept the loop from stopping)
  }
  const token = inverseCdf({ weights, order: ranked, count: kept, target: u * mass });
  return {
    token,
    logprob: rawLogprob(token),
    samplingLogprob: Math.log((weights[token] as number) / mass),
  };
}

/** The first candidate whose cumulative weight exceeds `target` (in `order`, else id order). */
function inverseCdf(options: {
  weights: Float64Array;
  order: readonly number[] | undefined;
  count: number;
  target: number;
}): number {
  const { weights, order, count, target } = options;
  let cum = 0;
  let last = 0;
  for (let j = 0; j < count; j++) {
    const i = order === undefined ? j : (order[j] as number);
    const w = weights[i] as number;
    if (w <= 0) continue;
    cum += w;
    last = i;
    if (cum > target) return i;
  }
  // Rounding can leave target a hair above the running sum: the last positive candidate.
  return last;
}

/** Descending weight, then ascending id: a total order, so ties never depend on the sort. */
function byWeight(weights: Float64Array): (a: number, b: number) => number {
  return (a, b) => (weights[b] as number) - (weights[a] as number) || a - b;
}

/** The k heaviest ids in rank order, with a bounded min-heap (one pass, O(V log k)). */
export function topKIndices(weights: Float64Array, k: number): number[] {
  const heap: number[] = [];
  // "a ranks below b": lighter, or equally heavy with a larger id.
  const below = (a: number, b: number) =>
    (weights[a] as number) < (weights[b] as number) || (weights[a] === weights[b] && a > b);
  const siftDown = (start: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && below(heap[l] as number, heap[m] as number)) m = l;
      if (r < heap.length && below(heap[r] as number, heap[m] as number)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m] as number, heap[i] as number];
      i = m;
    }
  };
  for (let id = 0; id < weights.length; id++) {
    if (heap.length < k) {
      heap.push(id);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!below(heap[i] as number, heap[p] as number)) break;
        [heap[i], heap[p]] = [heap[p] as number, heap[i] as number];
        i = p;
      }
    } else if (below(heap[0] as number, id)) {
      heap[0] = id;
      siftDown(0);
    }
  }
  return heap.sort(byWeight(weights));
}

/**
 * Ids that surely contain the top-p nucleus, in rank order. The nucleus is a prefix of the ranking;
 * any set {i : w_i >= t} holding at least p of the mass contains it, so only that set is sorted.
 * Thresholds shrink until the set is big enough (the last, 0, takes every id).
 */
function nucleusCandidates(weights: Float64Array, total: number, topP: number): number[] {
  for (const t of [1e-3, 1e-5, 1e-8, 0]) {
    const threshold = t * total;
    const ids: number[] = [];
    let mass = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i] as number;
      if (w >= threshold && (t > 0 || w > 0)) {
        ids.push(i);
        mass += w;
      }
    }
    if (mass >= topP * total || t === 0) return ids.sort(byWeight(weights));
  }
  return [];
}
