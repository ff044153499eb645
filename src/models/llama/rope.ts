import type { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { fromData, type HostTensor } from '../../graph/tensor.ts';
import type { LlamaConfig, RopeStyle } from '../config.ts';
import type { FloatType } from './weights.ts';

/**
 * Rotary position embeddings. Pair i of a head (i < R/2, R = ropeDim) turns by the angle
 * pos · base^(-2i/R). Which two dimensions form pair i depends on `config.ropeStyle`:
 * adjacent-pair rotates (2i, 2i+1), half-split rotates (i, i + R/2); dimensions beyond R pass through.
 *
 * The primitive form (gathers, Mul, Sub, Concat) differentiates and runs in float64; the fused ORT
 * RotaryEmbedding is float32-only and has no gradient, so only float32 inference graphs use it.
 */

/** cos and sin of every (position, pair) angle: two [contextLength, R/2] tables, computed in float64. */
export function ropeTables(options: { config: LlamaConfig; dtype: FloatType }): {
  cos: HostTensor;
  sin: HostTensor;
} {
  const { ropeDim, ropeBase, contextLength } = options.config;
  const half = ropeDim / 2;
  const make = () =>
    options.dtype === 'float32'
      ? new Float32Array(contextLength * half)
      : new Float64Array(contextLength * half);
  const cos = make();
  const sin = make();
  for (let pos = 0; pos < contextLength; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * ropeBase ** (-(2 * i) / ropeDim);
      cos[pos * half + i] = Math.cos(angle);
      sin[pos * half + i] = Math.sin(angle);
    }
  }
  const dims = [contextLength, half];
  return {
    cos: fromData({ dtype: options.dtype, dims, data: cos }),
    sin: fromData({ dtype: options.dtype, dims, data: sin }),
  };
}

/** The rope tables as initializers plus the position ids they are read at. */
export interface RopeContext {
  readonly cosTable: Value; // [maxPos, R/2]
  readonly sinTable: Value; // [maxPos, R/2]
  readonly positions: Value; // [B, T] int64
  /** Gathered per-position angles for the primitive form, [B, 1, T, R/2]; built on first use. */
  angles(): { cos: Value; sin: Value };
}

export function ropeContext(options: {
  g: GraphBuilder;
  config: LlamaConfig;
  dtype: FloatType;
  positions: Value;
}): RopeContext {
  const { g, positions } = options;
  const tables = ropeTables(options);
  const cosTable = g.initializer({ name: 'rope.cos', tensor: tables.cos });
  const sinTable = g.initializer({ name: 'rope.sin', tensor: tables.sin });
  let angles: { cos: Value; sin: Value } | undefined;
  return {
    cosTable,
    sinTable,
    positions,
    angles() {
      angles ??= {
        cos: g.unsqueeze(g.gather(cosTable, positions), [1]), // [B, 1, T, R/2]
        sin: g.unsqueeze(g.gather(sinTable, positions), [1]),
      };
      return angles;
    },
  };
}

/** Rotates q or k, [B, H, T, D] -> [B, H, T, D], from primitives. */
export function applyRope(options: {
  g: GraphBuilder;
  x: Value;
  rope: RopeContext;
  style: RopeStyle;
  headDim: number;
  ropeDim: number;
}): Value {
  const { g, x, style, headDim: D, ropeDim: R } = options;
  const { cos, sin } = options.rope.angles(); // [B, 1, T, R/2]
  const [rot, pass] =
    R === D ? [x, undefined] : (g.split(x, { axis: -1, sizes: [R, D - R] }) as [Value, Value]);
  let rotated: Value;
  if (style === 'half-split') {
    const [a, b] = g.split(rot, { axis: -1, numOutputs: 2 }) as [Value, Value]; // [B, H, T, R/2] each
    // (a, b) -> (a cos - b sin, b cos + a sin)
    rotated = g.concat([g.sub(g.mul(a, cos), g.mul(b, sin)), g.add(g.mul(b, cos), g.mul(a, sin))], {
      axis: -1,
    });
  } else {
    const pairs = g.reshape(rot, ['B', x.shape[1] as number, 'T', R / 2, 2]); // [B, H, T, R/2, 2]
    const [a, b] = g.split(pairs, { axis: -1, numOutputs: 2 }) as [Value, Value]; // [B, H, T, R/2, 1]
    const c = g.unsqueeze(cos, [-1]); // [B, 1, T, R/2, 1]
    const s = g.unsqueeze(sin, [-1]);
    const turned = g.concat([g.sub(g.mul(a, c), g.mul(b, s)), g.add(g.mul(b, c), g.mul(a, s))], { axis: -1 });
    rotated = g.reshape(turned, ['B', x.shape[1] as number, 'T', R]); // [B, H, T, R]
  }
  return pass === undefined ? rotated : g.concat([rotated, pass], { axis: -1 });
}

/** The same rotation with ORT's fused opset-23 RotaryEmbedding (float32 inference only). */
export function applyFusedRope(options: {
  g: GraphBuilder;
  x: Value;
  rope: RopeContext;
  style: RopeStyle;
  headDim: number;
  ropeDim: number;
}): Value {
  const { g, x, rope } = options;
  return g.rotaryEmbedding({
    x, // [B, H, T, D]
    cos: rope.cosTable,
    sin: rope.sinTable,
    positionIds: rope.positions,
    interleaved: options.style === 'adjacent-pair',
    ...(options.ropeDim === options.headDim ? {} : { rotaryDim: options.ropeDim }),
  });
}
