import { ValidationError } from '../../util/errors.ts';
import type { LlamaConfig } from '../config.ts';
import { qkRowsToAdjacentPair, qkRowsToHalfSplit } from '../gguf/qk-permutation.ts';

/**
 * Rows of a weight (or of anything laid out along a weight's output rows, such as a LoRA B matrix)
 * between our order for a model and the Hugging Face order. Hugging Face stores q/k for half-split
 * RoPE; a model read from a llama GGUF holds them in adjacent-pair order (see config.ts), so its
 * q/k rows, biases and per-head norms move when they leave for, or come from, a Hugging Face file.
 * Every other weight keeps its order.
 */
const PER_HEAD: ReadonlyArray<{ suffix: RegExp; heads: (c: LlamaConfig) => number }> = [
  { suffix: /\.attn_q\.(weight|bias)$/, heads: (c) => c.numHeads },
  { suffix: /\.attn_k\.(weight|bias)$/, heads: (c) => c.numKvHeads },
  // A per-head norm weight is one head's worth of values.
  { suffix: /\.attn_[qk]_norm\.weight$/, heads: () => 1 },
];

export type RowDirection = 'to-hf' | 'from-hf';

/**
 * `data` (rows of `rowLength` values) of the canonical weight `name`, reordered for `direction`.
 * Returns `data` itself when nothing moves. A model with adjacent-pair RoPE on part of each head
 * has no Hugging Face form: that is an error naming the model's dimensions.
 */
export function hfRowOrder(options: {
  config: LlamaConfig;
  /** Canonical name of the weight the rows belong to: `blk.3.attn_q.weight`. */
  name: string;
  data: Float32Array;
  /** Values per row: the input size for a weight, the rank for a LoRA B matrix, 1 for a vector. */
  rowLength: number;
  direction: RowDirection;
}): Float32Array {
  const { config, name, data, direction } = options;
  if (config.ropeStyle === 'half-split') return data;
  const rule = PER_HEAD.find((r) => r.suffix.test(name));
  if (rule === undefined) return data;
  if (config.ropeDim !== config.headDim) {
    throw new ValidationError(
      `a model with adjacent-pair RoPE on ${config.ropeDim} of ${config.headDim} head dimensions has no Hugging Face layout`,
      { location: { field: name } },
    );
  }
  const permute = direction === 'to-hf' ? qkRowsToHalfSplit : qkRowsToAdjacentPair;
  return permute({ weight: data, heads: rule.heads(config), rowLength: options.rowLength });
}
