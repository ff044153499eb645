import { ValidationError } from '../util/errors.ts';
import type { Dim } from './dims.ts';
import type { DType } from './dtype.ts';
import type { Attrs, Value } from './ir.ts';
import { MathBuilder, type Operand } from './math-builder.ts';
import { getOp } from './ops/registry.ts';
import { SLICE_END } from './ops/slice-concat.ts';
import { fromValues } from './tensor.ts';

/** Dimensions given as numbers and symbols, or an int64 shape tensor computed in the graph. */
export type ShapeArg = readonly Dim[] | Value;

export type { Operand };

/**
 * The graph builder: one method per op, returning the output values. Methods with more than two
 * operands take an options object. Shapes are checked while building (see `dims.ts` for the
 * broadcasting rule), so mistakes fail here with the node named, not inside ONNX Runtime.
 */
export class GraphBuilder extends MathBuilder {
  // ---- shape ops ---------------------------------------------------------------------------------
  /**
   * Reshape to `shape`. Numbers follow ONNX (0 copies the input dim, -1 is inferred); symbols are
   * kept as the output's dims and resolved at run time only when they cannot be expressed as 0/-1.
   */
  reshape(x: Value, shape: ShapeArg): Value {
    if (!Array.isArray(shape)) return this.one('Reshape', [x, shape as Value]);
    const dims = shape as readonly Dim[];
    const numeric = dims.map((d, i) => (typeof d === 'number' ? d : d === x.shape[i] ? 0 : undefined));
    const open = numeric.flatMap((d, i) => (d === undefined ? [i] : []));
    let target: Value;
    if (open.length === 0) target = this.ints(numeric as number[]);
    else if (open.length === 1 && !numeric.includes(-1)) {
      numeric[open[0] as number] = -1;
      target = this.ints(numeric as number[]);
    } else target = this.shapeTensor(dims);
    const where = `Reshape of ${x.name}`;
    const [spec] = getOp('Reshape').infer({ inputs: [x, target], attrs: {}, numOutputs: 1, where });
    const inferred = spec?.shape ?? [];
    const final = dims.map((d, i) => (typeof d === 'string' ? d : (inferred[i] as Dim)));
    return this.node({ op: 'Reshape', inputs: [x, target], shapes: [final] })[0] as Value;
  }
  /** Permutes axes (default: reversed). */
  transpose(x: Value, perm?: readonly number[]): Value {
    return this.one('Transpose', [x], perm === undefined ? {} : { perm });
  }
  /** Broadcasts x to `shape`. */
  expand(x: Value, shape: ShapeArg): Value {
    return this.one('Expand', [
      x,
      Array.isArray(shape) ? this.shapeTensor(shape as Dim[]) : (shape as Value),
    ]);
  }
  unsqueeze(x: Value, axes: readonly number[]): Value {
    return this.one('Unsqueeze', [x, this.ints(axes)]);
  }
  squeeze(x: Value, axes: readonly number[]): Value {
    return this.one('Squeeze', [x, this.ints(axes)]);
  }
  /** The dims of x (from `start` to `end`) as an int64 tensor. */
  shape(x: Value, options: { start?: number; end?: number } = {}): Value {
    const attrs: Record<string, number> = {};
    if (options.start !== undefined) attrs['start'] = options.start;
    if (options.end !== undefined) attrs['end'] = options.end;
    return this.one('Shape', [x], attrs);
  }
  /** Element count of x as an int64 scalar. */
  size(x: Value): Value {
    return this.one('Size', [x]);
  }
  constantOfShape(shape: ShapeArg, options: { value: number; dtype: DType }): Value {
    const target = Array.isArray(shape) ? this.shapeTensor(shape as Dim[]) : (shape as Value);
    const value = fromValues({ dtype: options.dtype, dims: [1], values: [options.value] });
    return this.one('ConstantOfShape', [target], { value });
  }
  concat(values: readonly Value[], options: { axis: number }): Value {
    return this.one('Concat', values, { axis: options.axis });
  }
  /**
   * x[starts:ends:steps] on `axes` (default the first axes). Number bounds are constants (Infinity
   * means "to the end"); Value bounds are computed at run time, and `shape` then names the result's
   * dims when the author knows them.
   */
  slice(
    x: Value,
    options: {
      starts: readonly number[] | Value;
      ends: readonly number[] | Value;
      axes?: readonly number[];
      steps?: readonly number[];
      shape?: readonly Dim[];
    },
  ): Value {
    const bound = (b: readonly number[] | Value) =>
      Array.isArray(b)
        ? this.ints(
            (b as number[]).map((v) =>
              v === Number.POSITIVE_INFINITY ? SLICE_END : v === Number.NEGATIVE_INFINITY ? -SLICE_END : v,
            ),
          )
        : (b as Value);
    const inputs = [x, bound(options.starts), bound(options.ends)];
    if (options.axes !== undefined || options.steps !== undefined) {
      const n = Array.isArray(options.starts) ? options.starts.length : (options.axes?.length ?? 0);
      inputs.push(this.ints(options.axes ?? Array.from({ length: n }, (_, i) => i)));
    }
    if (options.steps !== undefined) inputs.push(this.ints(options.steps));
    return this.node({
      op: 'Slice',
      inputs,
      ...(options.shape === undefined ? {} : { shapes: [options.shape] }),
    })[0] as Value;
  }
  /** Splits along `axis` into pieces of `sizes`, or into `numOutputs` equal pieces. */
  split(x: Value, options: { axis?: number; sizes?: readonly Dim[]; numOutputs?: number }): Value[] {
    const axis = options.axis ?? 0;
    if (options.sizes !== undefined) {
      return this.node({
        op: 'Split',
        inputs: [x, this.shapeTensor(options.sizes)],
        attrs: { axis },
        numOutputs: options.sizes.length,
      });
    }
    const n = options.numOutputs;
    if (n === undefined) throw new ValidationError(`split of ${x.name}: give sizes or numOutputs`);
    return this.node({ op: 'Split', inputs: [x], attrs: { axis, num_outputs: n }, numOutputs: n });
  }
  /** Pads with a constant: `begins[i]`/`ends[i]` elements before/after axis `axes[i]`. */
  pad(
    x: Value,
    options: {
      begins: readonly Dim[];
      ends: readonly Dim[];
      axes?: readonly number[];
      value?: number;
      shape?: readonly Dim[];
    },
  ): Value {
    const axes = options.axes ?? x.shape.map((_, i) => i);
    const inputs = [
      x,
      this.shapeTensor([...options.begins, ...options.ends]),
      this.scalar(options.value ?? 0, x.dtype),
      this.ints(axes),
    ];
    return this.node({
      op: 'Pad',
      inputs,
      ...(options.shape === undefined ? {} : { shapes: [options.shape] }),
    })[0] as Value;
  }

  // ---- indexing --------------------------------------------------------------------------------
  /** data.take(indices) along axis (default 0): embedding lookup. */
  gather(data: Value, indices: Value, options: { axis?: number } = {}): Value {
    return this.one('Gather', [data, indices], { axis: options.axis ?? 0 });
  }
  /** y[...i...] = data[...indices[...i...]...] along axis: picks one entry per position. */
  gatherElements(data: Value, indices: Value, options: { axis: number }): Value {
    return this.one('GatherElements', [data, indices], { axis: options.axis });
  }
  scatterND(options: {
    data: Value;
    indices: Value;
    updates: Value;
    reduction?: 'none' | 'add' | 'mul' | 'max' | 'min';
  }) {
    const attrs: Attrs = options.reduction === undefined ? {} : { reduction: options.reduction };
    return this.one('ScatterND', [options.data, options.indices, options.updates], attrs);
  }
  scatterElements(options: {
    data: Value;
    indices: Value;
    updates: Value;
    axis?: number;
    reduction?: 'none' | 'add' | 'mul' | 'max' | 'min';
  }): Value {
    const attrs: Record<string, number | string> = { axis: options.axis ?? 0 };
    if (options.reduction !== undefined) attrs['reduction'] = options.reduction;
    return this.one('ScatterElements', [options.data, options.indices, options.updates], attrs);
  }

  // ---- masks and indices -----------------------------------------------------------------------
  /**
   * [start, start+delta, ...) below limit. Numbers become scalar constants of `dtype` (default
   * int64); a symbolic dim such as 'T' is read at run time, so `range({ start: 0, limit: 'T' })` is
   * the positions 0..T-1 with shape ['T'].
   */
  range(options: { start: Operand; limit: Operand | string; delta?: Operand; dtype?: DType }): Value {
    const dtype = options.dtype ?? 'int64';
    const scalar = (v: Operand | string) =>
      typeof v === 'number'
        ? this.scalar(v, dtype)
        : typeof v === 'string'
          ? this.cast(this.squeeze(this.dim(v), [0]), dtype)
          : v;
    return this.one('Range', [scalar(options.start), scalar(options.limit), scalar(options.delta ?? 1)]);
  }
  /** Keeps the upper (or lower) triangle of the last two axes, offset by diagonal k. */
  trilu(x: Value, options: { upper: boolean; k?: Value | number }): Value {
    const k =
      options.k === undefined
        ? []
        : [typeof options.k === 'number' ? this.scalar(options.k, 'int64') : options.k];
    return this.one('Trilu', [x, ...k], { upper: options.upper ? 1 : 0 });
  }
  argMax(x: Value, options: { axis: number; keepdims?: boolean }): Value {
    return this.one('ArgMax', [x], { axis: options.axis, keepdims: options.keepdims === false ? 0 : 1 });
  }
  topK(
    x: Value,
    options: { k: number | Value; axis?: number; largest?: boolean },
  ): { values: Value; indices: Value } {
    const k = typeof options.k === 'number' ? this.ints([options.k]) : options.k;
    const attrs = { axis: options.axis ?? -1, largest: options.largest === false ? 0 : 1 };
    const [values, indices] = this.node({ op: 'TopK', inputs: [x, k], attrs, numOutputs: 2 }) as [
      Value,
      Value,
    ];
    return { values, indices };
  }
  cumSum(x: Value, options: { axis: number; exclusive?: boolean; reverse?: boolean }): Value {
    const attrs = {
      exclusive: options.exclusive === true ? 1 : 0,
      reverse: options.reverse === true ? 1 : 0,
    };
    return this.one('CumSum', [x, this.scalar(options.axis, 'int64')], attrs);
  }

  // ---- fused opset-23 ops (inference only: no gradient rules) ---------------------------------
  rmsNormalization(x: Value, options: { scale: Value; epsilon: number; axis?: number }): Value {
    return this.one('RMSNormalization', [x, options.scale], {
      epsilon: options.epsilon,
      axis: options.axis ?? -1,
    });
  }
  rotaryEmbedding(options: {
    x: Value;
    cos: Value;
    sin: Value;
    positionIds?: Value;
    interleaved?: boolean;
    numHeads?: number;
    rotaryDim?: number;
  }): Value {
    const attrs: Record<string, number> = { interleaved: options.interleaved === true ? 1 : 0 };
    if (options.numHeads !== undefined) attrs['num_heads'] = options.numHeads;
    if (options.rotaryDim !== undefined) attrs['rotary_embedding_dim'] = options.rotaryDim;
    return this.one('RotaryEmbedding', [options.x, options.cos, options.sin, options.positionIds], attrs);
  }
  /**
   * Opset-23 Attention. Q [B, Hq, S, D] with K/V [B, Hkv, L, D] (or 3-D with head counts).
   * With a past KV cache it also returns the present cache [B, Hkv, P+L, D].
   */
  attention(options: {
    q: Value;
    k: Value;
    v: Value;
    mask?: Value;
    pastKey?: Value;
    pastValue?: Value;
    isCausal?: boolean;
    scale?: number;
    qNumHeads?: number;
    kvNumHeads?: number;
  }): { y: Value; presentKey?: Value; presentValue?: Value } {
    const attrs: Record<string, number> = {};
    if (options.isCausal === true) attrs['is_causal'] = 1;
    if (options.scale !== undefined) attrs['scale'] = options.scale;
    if (options.qNumHeads !== undefined) attrs['q_num_heads'] = options.qNumHeads;
    if (options.kvNumHeads !== undefined) attrs['kv_num_heads'] = options.kvNumHeads;
    const past = options.pastKey !== undefined || options.pastValue !== undefined;
    const inputs = [options.q, options.k, options.v, options.mask, options.pastKey, options.pastValue];
    const [y, presentKey, presentValue] = this.node({
      op: 'Attention',
      inputs,
      attrs,
      numOutputs: past ? 3 : 1,
    });
    return {
      y: y as Value,
      ...(presentKey === undefined ? {} : { presentKey }),
      ...(presentValue === undefined ? {} : { presentValue }),
    };
  }

  // ---- composites (built from differentiable primitives) ---------------------------------------
  /** Zeros shaped like x. */
  zerosLike(x: Value): Value {
    const shape = x.shape.every((d) => typeof d === 'number') ? this.shapeTensor(x.shape) : this.shape(x);
    return this.expand(this.scalar(0, x.dtype), shape);
  }
  /**
   * Sums `grad` (shaped like a broadcast result) back to the shape of `ref`: over leading axes
   * `ref` lacks and over axes where `ref` has a literal 1. Static by the broadcasting rule.
   */
  sumTo(grad: Value, ref: Value): Value {
    const k = grad.shape.length - ref.shape.length;
    if (k < 0) throw new ValidationError(`sumTo: ${grad.name} has lower rank than ${ref.name}`);
    const axes = grad.shape.flatMap((d, i) => (i < k || (ref.shape[i - k] === 1 && d !== 1) ? [i] : []));
    if (axes.length === 0) return grad;
    const summed = this.reduceSum(grad, { axes, keepdims: true });
    return k === 0
      ? summed
      : this.squeeze(
          summed,
          Array.from({ length: k }, (_, i) => i),
        );
  }
  /** [..., K] -> [rows, K]. */
  flattenRows(x: Value): Value {
    return x.shape.length === 2 ? x : this.reshape(x, [-1, x.shape[x.shape.length - 1] as Dim]);
  }
  /** x * sigmoid(x). */
  silu(x: Value): Value {
    return this.mul(x, this.sigmoid(x));
  }
  /** x / sqrt(mean(x², last axis) + eps) * weight, from primitives so that it differentiates. */
  rmsNorm(options: { x: Value; weight?: Value; eps: number }): Value {
    const { x } = options;
    const meanSquare = this.reduceMean(this.mul(x, x), { axes: [-1], keepdims: true });
    const normed = this.mul(x, this.reciprocal(this.sqrt(this.add(meanSquare, options.eps))));
    return options.weight === undefined ? normed : this.mul(normed, options.weight);
  }
}
