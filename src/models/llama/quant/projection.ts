import type { GraphBuilder } from '../../../graph/builder.ts';
import type { Value } from '../../../graph/ir.ts';
import type { LlamaContext } from '../model.ts';
import { type AccuracyLevel, type BoundPackedWeight, bindPacked, matMulNBits } from './matmul-nbits.ts';
import type { PackedWeights } from './quantized-weights.ts';

/** Quantised projections for an inference graph: the packed matrices and how MatMulNBits computes. */
export interface QuantizedProjections {
  readonly weights: PackedWeights;
  /** Default 4: int8 activations per block, as llama.cpp does; 0 keeps activations in float32. */
  readonly accuracyLevel?: AccuracyLevel;
}

/**
 * The `LlamaContext.project` hook: x Wᵀ through MatMulNBits for every packed weight, undefined
 * (plain Gemm) for the rest. A packed weight becomes initializers once, however often it is used.
 */
export function quantizedProjection(options: {
  g: GraphBuilder;
  quantized: QuantizedProjections;
}): NonNullable<LlamaContext['project']> {
  const { g, quantized } = options;
  const blockSums = new Map<number, Value>();
  const bound = new Map<string, BoundPackedWeight>();
  return (x, name) => {
    const packed = quantized.weights.get(name);
    if (packed === undefined) return undefined;
    let weight = bound.get(name);
    if (weight === undefined) {
      weight = bindPacked({ g, name, packed });
      bound.set(name, weight);
    }
    return matMulNBits({ g, x, weight, accuracyLevel: quantized.accuracyLevel ?? 4, blockSums });
  };
}
