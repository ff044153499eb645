import type { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { NamedRegistry } from './registry.ts';
import type { AggregationDef } from './types.ts';

/**
 * Loss aggregation over the masked (response) tokens of a batch, kept apart from the losses:
 *   token-mean     Σ_bt l·m / Σ_bt m: every token weighs the same, long answers weigh more (DAPO)
 *   sequence-mean  mean over sequences of (Σ_t l·m / Σ_t m): every answer weighs the same (GRPO)
 * Empty denominators count as 1 (a batch or sequence without response tokens contributes 0), and
 * sequence-mean averages only over sequences that have response tokens.
 */
function maskedSum(g: GraphBuilder, values: Value, mask: Value, axes: number[]): Value {
  return g.reduceSum(g.mul(values, mask), { axes, keepdims: false });
}

export const TOKEN_MEAN: AggregationDef = {
  name: 'token-mean',
  description: 'mean over all response tokens of the batch',
  graph: ({ g, values, mask }) =>
    g.div(maskedSum(g, values, mask, [0, 1]), g.max(g.reduceSum(mask, { axes: [0, 1], keepdims: false }), 1)),
  reference: ({ values, mask }) => {
    let total = 0;
    let count = 0;
    values.forEach((row, b) => {
      row.forEach((v, t) => {
        const m = mask[b]?.[t] ?? 0;
        total += v * m;
        count += m;
      });
    });
    return total / Math.max(count, 1);
  },
};

export const SEQUENCE_MEAN: AggregationDef = {
  name: 'sequence-mean',
  description: 'mean over sequences of the mean over each sequence’s response tokens',
  graph: ({ g, values, mask }) => {
    const tokens = g.reduceSum(mask, { axes: [1], keepdims: false }); // [B]
    const perSequence = g.div(maskedSum(g, values, mask, [1]), g.max(tokens, 1)); // [B]
    const present = g.cast(g.greater(tokens, 0), mask.dtype); // [B]
    const sequences = g.max(g.reduceSum(present, { keepdims: false }), 1); // []
    return g.div(g.reduceSum(g.mul(perSequence, present), { keepdims: false }), sequences);
  },
  reference: ({ values, mask }) => {
    let total = 0;
    let sequences = 0;
    values.forEach((row, b) => {
      let sum = 0;
      let count = 0;
      row.forEach((v, t) => {
        const m = mask[b]?.[t] ?? 0;
        sum += v * m;
        count += m;
      });
      if (count > 0) {
        total += sum / count;
        sequences += 1;
      }
    });
    return total / Math.max(sequences, 1);
  },
};

export const aggregations = new NamedRegistry<AggregationDef>('loss aggregation', [
  TOKEN_MEAN,
  SEQUENCE_MEAN,
]);
