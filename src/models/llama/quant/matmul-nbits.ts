import type { GraphBuilder } from '../../../graph/builder.ts';
import type { OpDef, Value } from '../../../graph/ir.ts';
import { input, intAttr, requireDtype } from '../../../graph/ops/common.ts';
import { getOp, registerOp } from '../../../graph/ops/index.ts';
import { ValidationError } from '../../../util/errors.ts';
import type { PackedWeight } from './packed-weight.ts';

/**
 * ONNX Runtime's contrib op `com.microsoft.MatMulNBits`: y = a · dequant(B)ᵀ with B stored as
 * blocks of `block_size` n-bit integers along K, dequant(q) = (q - zero_point) · scale per block.
 *
 * Inputs  A float32 [..., K]; B uint8 [N, K/block, block·bits/8]; scales float32 [N·K/block];
 *         zero_points uint8 (4-bit: two blocks per byte, [N·ceil(K/block/2)]; 8-bit: [N·K/block]).
 * Output  Y float32 [..., N].
 * Attributes K, N, bits, block_size, accuracy_level (4: int8 activations, int32 accumulation).
 *
 * Inference only (no gradient rule). ONNX Runtime prepacks B, scales and zero points when they are
 * initializers; fed as graph inputs the kernel dequantises B to float32 on every run instead, and
 * float zero points also disable the packed kernels, so zero points here are always uint8.
 */
const MATMUL_NBITS: OpDef = {
  name: 'MatMulNBits',
  domain: 'com.microsoft',
  attrs: { K: 'int', N: 'int', bits: 'int', block_size: 'int', accuracy_level: 'int' },
  infer: (args) => {
    const a = input(args, 0);
    requireDtype(a, ['float32'], args.where);
    requireDtype(input(args, 1), ['uint8'], args.where);
    const k = intAttr(args.attrs, 'K', 0);
    const n = intAttr(args.attrs, 'N', 0);
    const last = a.shape[a.shape.length - 1];
    if (typeof last === 'number' && last !== k) {
      throw new ValidationError(`${args.where}: A has ${last} columns, K is ${k}`);
    }
    return [{ dtype: a.dtype, shape: [...a.shape.slice(0, -1), n] }];
  },
};

if (!hasOp(MATMUL_NBITS.name)) registerOp(MATMUL_NBITS);

function hasOp(name: string): boolean {
  try {
    getOp(name);
    return true;
  } catch {
    return false;
  }
}

/** How MatMulNBits computes: 4 quantises activations to int8 per block (llama.cpp does alike), 0 is float32. */
export type AccuracyLevel = 0 | 1 | 4;

/** A packed weight's initializers (`{name}.q`, `{name}.scales`, `{name}.zp`, `{name}.mins`). */
export interface BoundPackedWeight {
  readonly packed: PackedWeight;
  readonly q: Value;
  readonly scales: Value;
  readonly zeroPoints: Value;
  readonly mins?: Value;
}

/** Stores a packed weight in the graph as initializers, named after the weight. */
export function bindPacked(options: {
  g: GraphBuilder;
  name: string;
  packed: PackedWeight;
}): BoundPackedWeight {
  const { g, name, packed } = options;
  const blocks = packed.cols / packed.blockSize;
  const bytes = (suffix: string, data: Uint8Array, dims: number[]) =>
    g.initializer({ name: `${name}.${suffix}`, tensor: { dtype: 'uint8', dims, data } });
  const floats = (suffix: string, data: Float32Array, dims: number[]) =>
    g.initializer({ name: `${name}.${suffix}`, tensor: { dtype: 'float32', dims, data } });
  const bound = {
    packed,
    q: bytes('q', packed.data, [packed.rows, blocks, (packed.blockSize * packed.bits) / 8]),
    scales: floats('scales', packed.scales, [packed.rows * blocks]),
    zeroPoints: bytes('zp', packed.zeroPoints, [packed.zeroPoints.length]),
  };
  if (packed.mins === undefined) return bound;
  return { ...bound, mins: floats('mins', packed.mins, [packed.rows, blocks]) };
}

/**
 * x [..., K] · Wᵀ -> [..., N] for a bound packed weight. With per-block minimums (exact Q4_1, see
 * packed-weight.ts) the term Σ_b min_b · Σ_{k in b} x_k is added by a small float GEMM over block
 * sums [M, K/block] · mins [N, K/block]ᵀ; `blockSums` caches the sums per input, so q/k/v (and
 * gate/up) share one reduction.
 */
export function matMulNBits(options: {
  g: GraphBuilder;
  x: Value;
  weight: BoundPackedWeight;
  accuracyLevel: AccuracyLevel;
  blockSums?: Map<number, Value>;
}): Value {
  const { g, x, weight } = options;
  const { packed } = weight;
  const [y] = g.node({
    op: 'MatMulNBits',
    inputs: [x, weight.q, weight.scales, weight.zeroPoints],
    attrs: {
      K: packed.cols,
      N: packed.rows,
      bits: packed.bits,
      block_size: packed.blockSize,
      accuracy_level: options.accuracyLevel,
    },
  }) as [Value];
  if (weight.mins === undefined) return y;
  const sums = blockSum(g, x, packed.blockSize, options.blockSums); // [M, K/block]
  return g.add(y, g.gemm({ a: sums, b: weight.mins, transB: true })); // [M, N]
}

/** Σ over each block of `size` consecutive columns: x [M, K] -> [M, K/size]. */
function blockSum(g: GraphBuilder, x: Value, size: number, cache: Map<number, Value> | undefined): Value {
  const cached = cache?.get(x.id);
  if (cached !== undefined) return cached;
  const k = x.shape[x.shape.length - 1] as number;
  const sums = g.reshape(g.reduceSum(g.reshape(x, [-1, k / size, size]), { axes: [2] }), [-1, k / size]);
  cache?.set(x.id, sums);
  return sums;
}
