import { ValidationError } from '../../util/errors.ts';
import { broadcastShapes, type Dim, formatShape, normAxis } from '../dims.ts';
import type { DType } from '../dtype.ts';
import type { AttrValue, Attrs, InferArgs, OutputSpec, Value } from '../ir.ts';

/** The i-th input, failing when a required input is missing. */
export function input(args: InferArgs, i: number): Value {
  const v = args.inputs[i];
  if (v === undefined) throw new ValidationError(`${args.where}: input ${i} is required`);
  return v;
}

export function optionalInput(args: InferArgs, i: number): Value | undefined {
  return args.inputs[i];
}

/** Checks that every value has the same element type and returns it. */
export function sameDtype(values: readonly Value[], where: string): DType {
  const first = values[0];
  if (first === undefined) throw new ValidationError(`${where}: needs at least one input`);
  for (const v of values) {
    if (v.dtype !== first.dtype) {
      throw new ValidationError(
        `${where}: element types differ (${first.name} is ${first.dtype}, ${v.name} is ${v.dtype})`,
      );
    }
  }
  return first.dtype;
}

export function requireDtype(v: Value, allowed: readonly DType[], where: string): void {
  if (!allowed.includes(v.dtype)) {
    throw new ValidationError(`${where}: ${v.name} is ${v.dtype}, expected ${allowed.join(' or ')}`);
  }
}

/** The build-time content of a small int64 tensor (axes, shape, starts), required to be numbers. */
export function knownInts(v: Value, where: string, what: string): number[] {
  const known = v.known;
  if (known === undefined || !known.every((d): d is number => typeof d === 'number')) {
    throw new ValidationError(`${where}: ${what} (${v.name}) must be a constant known while building`);
  }
  return [...known];
}

export function intAttr(attrs: Attrs, name: string, fallback: number): number {
  const v = attrs[name];
  return typeof v === 'number' ? v : fallback;
}

export function floatAttr(attrs: Attrs, name: string, fallback: number): number {
  const v = attrs[name];
  return typeof v === 'number' ? v : fallback;
}

export function intsAttr(attrs: Attrs, name: string): readonly number[] | undefined {
  const v: AttrValue | undefined = attrs[name];
  return Array.isArray(v) ? (v as readonly number[]) : undefined;
}

/** Same shape and type as the first input (unary elementwise ops). */
export function inferSame(args: InferArgs): OutputSpec[] {
  const x = input(args, 0);
  return [{ dtype: x.dtype, shape: x.shape }];
}

/** Broadcast of all inputs; output type from the inputs, or `dtype` (comparisons give bool). */
export function inferBroadcast(args: InferArgs, dtype?: DType): OutputSpec[] {
  const values = args.inputs.map((_, i) => input(args, i));
  const common = sameDtype(values, args.where);
  return [
    {
      dtype: dtype ?? common,
      shape: broadcastShapes(
        values.map((v) => v.shape),
        args.where,
      ),
    },
  ];
}

/** Normalised, sorted, distinct axes. */
export function normAxes(axes: readonly number[], rank: number, where: string): number[] {
  const out = [...new Set(axes.map((a) => normAxis(a, rank, where)))].sort((a, b) => a - b);
  if (out.length !== axes.length) throw new ValidationError(`${where}: repeated axes [${axes.join(', ')}]`);
  return out;
}

/** Checks two dims that must match (e.g. MatMul's inner dimension) when both are numbers. */
export function checkSameDim(
  a: Dim,
  b: Dim,
  where: string,
  what: string,
  shapes: readonly (readonly Dim[])[],
) {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) {
    throw new ValidationError(
      `${where}: ${what} differ (${a} vs ${b}) in ${shapes.map(formatShape).join(' and ')}`,
    );
  }
}

/** Permutation that undoes `perm`. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length).fill(0);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

/** Builds only the wanted gradients: `fns[i]` runs when input i wants one. */
export function wanted(
  wants: readonly boolean[],
  fns: readonly ((() => Value) | undefined)[],
): (Value | undefined)[] {
  return fns.map((fn, i) => (wants[i] === true && fn !== undefined ? fn() : undefined));
}

/** The output gradient a rule needs; single-output ops always receive it. */
export function dOut(dOutputs: readonly (Value | undefined)[], i = 0): Value {
  const d = dOutputs[i];
  if (d === undefined) throw new ValidationError(`gradient of output ${i} is missing`);
  return d;
}
