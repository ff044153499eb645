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
  /**
   * log Σ exp(logits) of this row when the model already computed it (the generation graph does):
   * saves a pass of exponentials over the vocabulary.
   */
  readonly logsumexp?: number;
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
  const lse = options.logsumexp ?? logSumExp(logits, max);
  const rawLogprob = (t: number) => (logits[t] as number) - lse;
  if (temperature === 0) return { token: argmax, logprob: rawLogprob(argmax), samplingLogprob: 0 };

  // Weights of the tempered distribution, relative to its largest entry (which has weight 1).
  const invT = 1 / temperature;
  const weight = (i: number) => Math.exp(((logits[i] as number) - max) * invT);
  const useTopK = topK > 0 && topK < vocab;
  let total = 0;
  let ranked: number[];
  if (useTopK) {
    ranked = topKTempered({ logits, k: topK, max, weight, weights });
  } else {
    for (let i = 0; i < vocab; i++) {
      const w = weight(i);
      weights[i] = w;
      total += w;
    }
    if (topP >= 1) {
      const token = inverseCdf({ weights, order: undefined, count: vocab, target: u * total });
      return {
        token,
        logprob: rawLogprob(token),
        samplingLogprob: Math.log((weights[token] as number) / total),
      };
    }
    ranked = nucleusCandidates(weights, total, topP);
  }
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

/**
 * The k heaviest tokens of the tempered distribution, ranked by weight then id, with their weights
 * stored in `weights` (only theirs are computed). Tempering is monotone, so they are the k largest
 * logits, except that exp can round logits a hair apart to one weight: ids just below the k-th
 * logit are weighed too, so ties resolve by id exactly as a full ranking of weights would.
 */
function topKTempered(options: {
  logits: Float32Array | Float64Array;
  k: number;
  max: number;
  weight: (i: number) => number;
  weights: Float64Array;
}): number[] {
  const { logits, k, max, weight, weights } = options;
  const top = topKIndices(logits, k);
  const kth = logits[top[top.length - 1] as number] as number;
  const near = 1e-9 * (1 + Math.abs(kth) + Math.abs(max));
  const candidates = new Set(top);
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    if (l < kth && l >= kth - near) candidates.add(i);
  }
  for (const i of candidates) weights[i] = weight(i);
  if (candidates.size === top.length) return top.sort(byWeight(weights));
  return [...candidates].sort(byWeight(weights)).slice(0, k);
}

/** log Σ exp(logits), shifted by the row's largest value. */
function logSumExp(logits: Float32Array | Float64Array, max: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return max + Math.log(sum);
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
function byWeight(weights: Float32Array | Float64Array): (a: number, b: number) => number {
  return (a, b) => (weights[b] as number) - (weights[a] as number) || a - b;
}

/** The k heaviest ids in rank order, with a bounded min-heap (one pass, O(V log k)). */
export function topKIndices(weights: Float32Array | Float64Array, k: number): number[] {
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
    } else if (
      (weights[id] as number) >= (weights[heap[0] as number] as number) &&
      below(heap[0] as number, id)
    ) {
      // The first test rejects most ids without a call: lighter than the lightest kept.
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
