import { ValidationError } from '../util/errors.ts';
import { type DType, onnxCode } from './dtype.ts';
import { Graph } from './graph.ts';
import type { Attrs, Value } from './ir.ts';

/** A value, or a JS number that becomes a scalar constant of the other operand's type. */
export type Operand = Value | number;

export interface ReduceOptions {
  /** Axes to reduce (default: all). */
  axes?: readonly number[];
  /** Keep reduced axes with size 1 (default true, as ONNX). */
  keepdims?: boolean;
}

/**
 * Arithmetic half of the builder: elementwise, unary, comparison, reduction and matrix-product
 * methods. `GraphBuilder` adds shape, indexing, fused and composite methods on top.
 */
export class MathBuilder extends Graph {
  // ---- elementwise -------------------------------------------------------------------------
  add(a: Operand, b: Operand): Value {
    return this.binary('Add', a, b);
  }
  sub(a: Operand, b: Operand): Value {
    return this.binary('Sub', a, b);
  }
  mul(a: Operand, b: Operand): Value {
    return this.binary('Mul', a, b);
  }
  div(a: Operand, b: Operand): Value {
    return this.binary('Div', a, b);
  }
  /** x ^ exponent; a number exponent is a constant. */
  pow(x: Operand, exponent: Operand): Value {
    return this.binary('Pow', x, exponent);
  }
  max(a: Operand, b: Operand): Value {
    return this.binary('Max', a, b);
  }
  min(a: Operand, b: Operand): Value {
    return this.binary('Min', a, b);
  }
  /** Elementwise sum of several values (broadcasting). */
  sum(values: readonly Value[]): Value {
    if (values.length === 1) return values[0] as Value;
    return this.one('Sum', values);
  }
  where(options: { cond: Value; ifTrue: Operand; ifFalse: Operand }): Value {
    const [a, b] = this.operands(options.ifTrue, options.ifFalse);
    return this.one('Where', [options.cond, a, b]);
  }

  // ---- unary -------------------------------------------------------------------------------
  neg(x: Value): Value {
    return this.one('Neg', [x]);
  }
  exp(x: Value): Value {
    return this.one('Exp', [x]);
  }
  log(x: Value): Value {
    return this.one('Log', [x]);
  }
  sqrt(x: Value): Value {
    return this.one('Sqrt', [x]);
  }
  reciprocal(x: Value): Value {
    return this.one('Reciprocal', [x]);
  }
  sigmoid(x: Value): Value {
    return this.one('Sigmoid', [x]);
  }
  tanh(x: Value): Value {
    return this.one('Tanh', [x]);
  }
  abs(x: Value): Value {
    return this.one('Abs', [x]);
  }
  sign(x: Value): Value {
    return this.one('Sign', [x]);
  }
  relu(x: Value): Value {
    return this.one('Relu', [x]);
  }
  sin(x: Value): Value {
    return this.one('Sin', [x]);
  }
  cos(x: Value): Value {
    return this.one('Cos', [x]);
  }
  identity(x: Value): Value {
    return this.one('Identity', [x]);
  }
  /** Identity that differentiation treats as a constant. */
  stopGradient(x: Value): Value {
    return this.one('StopGradient', [x]);
  }
  /** Converts the element type (no node when it already matches). */
  cast(x: Value, dtype: DType): Value {
    return x.dtype === dtype ? x : this.one('Cast', [x], { to: onnxCode(dtype) });
  }

  // ---- comparisons and logic (no gradient) --------------------------------------------------
  equal(a: Operand, b: Operand): Value {
    return this.binary('Equal', a, b);
  }
  less(a: Operand, b: Operand): Value {
    return this.binary('Less', a, b);
  }
  lessOrEqual(a: Operand, b: Operand): Value {
    return this.binary('LessOrEqual', a, b);
  }
  greater(a: Operand, b: Operand): Value {
    return this.binary('Greater', a, b);
  }
  greaterOrEqual(a: Operand, b: Operand): Value {
    return this.binary('GreaterOrEqual', a, b);
  }
  and(a: Value, b: Value): Value {
    return this.one('And', [a, b]);
  }
  or(a: Value, b: Value): Value {
    return this.one('Or', [a, b]);
  }
  not(x: Value): Value {
    return this.one('Not', [x]);
  }
  isNaN(x: Value): Value {
    return this.one('IsNaN', [x]);
  }

  // ---- reductions and softmax -----------------------------------------------------------------
  reduceSum(x: Value, options: ReduceOptions = {}): Value {
    return this.reduce('ReduceSum', x, options);
  }
  reduceMean(x: Value, options: ReduceOptions = {}): Value {
    return this.reduce('ReduceMean', x, options);
  }
  reduceMax(x: Value, options: ReduceOptions = {}): Value {
    return this.reduce('ReduceMax', x, options);
  }
  reduceMin(x: Value, options: ReduceOptions = {}): Value {
    return this.reduce('ReduceMin', x, options);
  }
  reduceSumSquare(x: Value, options: ReduceOptions = {}): Value {
    return this.reduce('ReduceSumSquare', x, options);
  }
  reduceLogSumExp(x: Value, options: ReduceOptions = {}): Value {
    return this.reduce('ReduceLogSumExp', x, options);
  }
  softmax(x: Value, options: { axis?: number } = {}): Value {
    return this.one('Softmax', [x], { axis: options.axis ?? -1 });
  }
  logSoftmax(x: Value, options: { axis?: number } = {}): Value {
    return this.one('LogSoftmax', [x], { axis: options.axis ?? -1 });
  }

  // ---- matrix products -------------------------------------------------------------------------
  /** Batched matrix product with numpy broadcasting of batch dims. */
  matmul(a: Value, b: Value): Value {
    return this.one('MatMul', [a, b]);
  }
  /** y = alpha * op(a) @ op(b) + beta * c, for 2-D a and b. */
  gemm(options: {
    a: Value;
    b: Value;
    c?: Value;
    alpha?: number;
    beta?: number;
    transA?: boolean;
    transB?: boolean;
  }) {
    const attrs: Record<string, number> = {};
    if (options.alpha !== undefined && options.alpha !== 1) attrs['alpha'] = options.alpha;
    if (options.beta !== undefined && options.beta !== 1) attrs['beta'] = options.beta;
    if (options.transA === true) attrs['transA'] = 1;
    if (options.transB === true) attrs['transB'] = 1;
    return this.one('Gemm', [options.a, options.b, ...(options.c === undefined ? [] : [options.c])], attrs);
  }

  // ---- plumbing -----------------------------------------------------------------------------------
  protected one(op: string, inputs: readonly (Value | undefined)[], attrs: Attrs = {}): Value {
    return this.node({ op, inputs, attrs })[0] as Value;
  }

  protected operands(a: Operand, b: Operand): [Value, Value] {
    if (typeof a === 'number' && typeof b === 'number') {
      throw new ValidationError('an operation needs at least one Value operand (both are numbers)');
    }
    const va = typeof a === 'number' ? this.scalar(a, (b as Value).dtype) : a;
    const vb = typeof b === 'number' ? this.scalar(b, va.dtype) : b;
    return [va, vb];
  }

  protected binary(op: string, a: Operand, b: Operand): Value {
    return this.one(op, this.operands(a, b));
  }

  protected reduce(op: string, x: Value, options: ReduceOptions): Value {
    const axes = options.axes ?? x.shape.map((_, i) => i);
    // ONNX reads empty axes as "all axes"; here an empty list means nothing to reduce.
    if (axes.length === 0) return x;
    return this.one(op, [x, this.ints(axes)], { keepdims: options.keepdims === false ? 0 : 1 });
  }
}
