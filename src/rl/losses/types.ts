import type { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';

/**
 * Policy-loss building blocks. Each has a graph form (ops appended to a GraphBuilder, so the
 * autodiff differentiates it inside the training graph) and a plain-TypeScript reference form
 * (loops over numbers) that tests hold the graph to.
 *
 * Per-token tensors are [B, T], aligned with tokens: entry t belongs to token t of the sequence.
 */

/** A scalar hyperparameter fed to the training graph at run time. */
export interface Hyperparameter {
  /** Graph input name, e.g. `clip_low`. */
  readonly name: string;
  readonly description: string;
  readonly defaultValue: number;
}

/** The per-token surrogate loss of the policy-gradient term (to be minimised). */
export interface PolicyLossDef {
  readonly name: string;
  readonly description: string;
  readonly hyperparameters: readonly Hyperparameter[];
  /**
   * logprobs, oldLogprobs, mask [B, T]; advantages [B, T] or [B, 1]; hyper by input name (scalars).
   * `mask` (1 on response tokens) is for losses whose tokens interact within a sequence (a
   * sequence-level ratio); per-token losses ignore it, the aggregation applies it.
   * Returns the per-token loss and a 0/1 indicator of tokens where clipping changed it.
   */
  graph(args: {
    g: GraphBuilder;
    logprobs: Value;
    oldLogprobs: Value;
    advantages: Value;
    mask: Value;
    hyper: Readonly<Record<string, Value>>;
  }): { loss: Value; clipped: Value };
  /** One sequence: per-token rows of length T (advantages given per token), the same outputs. */
  reference(args: {
    logprobs: readonly number[];
    oldLogprobs: readonly number[];
    advantages: readonly number[];
    mask: readonly number[];
    hyper: Readonly<Record<string, number>>;
  }): { loss: number[]; clipped: number[] };
}

/** A per-token estimator of KL(policy || reference) from the two log-probs of the sampled token. */
export interface KlEstimatorDef {
  readonly name: string;
  readonly description: string;
  graph(args: { g: GraphBuilder; logprobs: Value; refLogprobs: Value }): Value;
  reference(args: { logprob: number; refLogprob: number }): number;
}

/** Reduces a per-token quantity over the masked tokens of a batch to one number. */
export interface AggregationDef {
  readonly name: string;
  readonly description: string;
  /** values and mask [B, T] (mask is 0/1 in the values' float type) -> [] */
  graph(args: { g: GraphBuilder; values: Value; mask: Value }): Value;
  reference(args: { values: readonly (readonly number[])[]; mask: readonly (readonly number[])[] }): number;
}
