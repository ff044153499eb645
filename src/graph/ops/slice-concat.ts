import { ValidationError } from '../../util/errors.ts';
import { type Dim, dimAdd, dimSum, freshDim, normAxis } from '../dims.ts';
import type { InferArgs, OpDef, OutputSpec, Value } from '../ir.ts';
import { dOut, input, intAttr, knownInts, normAxes, optionalInput, sameDtype, wanted } from './common.ts';
import { dimsOf } from './shape-ops.ts';

/**
 * Concat, Slice, Split and Pad. Static slice bounds are resolved against symbolic dimensions on
 * the assumption that they lie inside the tensor ('T' sliced [1:] is 'T-1'); ONNX clamps at run
 * time, so an out-of-range bound on a symbolic dimension would make the build-time shape wrong.
 */

/** Bounds at or beyond this mean "to the end". */
export const SLICE_END = Number.MAX_SAFE_INTEGER;
const TO_END = 2 ** 31 - 1;

interface SliceAxis {
  axis: number;
  start: number;
  end: number;
  step: number;
}

/** The slice as per-axis numbers, or undefined when bounds are only known at run time. */
function sliceAxes(
  inputs: readonly (Value | undefined)[],
  rank: number,
  where: string,
): SliceAxis[] | undefined {
  const [starts, ends, axes, steps] = [inputs[1], inputs[2], inputs[3], inputs[4]];
  if (starts === undefined || ends === undefined)
    throw new ValidationError(`${where}: starts and ends are required`);
  if (starts.known === undefined || ends.known === undefined) return undefined;
  const s = knownInts(starts, where, 'starts');
  const e = knownInts(ends, where, 'ends');
  const a =
    axes === undefined
      ? s.map((_, i) => i)
      : knownInts(axes, where, 'axes').map((x) => normAxis(x, rank, where));
  const st = steps === undefined ? s.map(() => 1) : knownInts(steps, where, 'steps');
  if (e.length !== s.length || a.length !== s.length || st.length !== s.length) {
    throw new ValidationError(`${where}: starts, ends, axes and steps must have the same length`);
  }
  return s.map((start, i) => ({ axis: a[i] as number, start, end: e[i] as number, step: st[i] as number }));
}

/** Static ONNX Slice arithmetic on a known dimension: clamped start and the element count. */
function staticSlice(d: number, { start, end, step }: SliceAxis): { begin: number; size: number } {
  if (step === 0) throw new ValidationError('Slice step must not be 0');
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
    return { begin: s, size: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, 0), d - 1);
  e = Math.min(Math.max(e, -1), d - 1);
  return { begin: s, size: Math.max(0, Math.ceil((s - e) / -step)) };
}

/**
 * Begin offset, size and the count of elements after the slice, for dimension `d`. Symbolic
 * dimensions support step 1 and are assumed to contain the bounds.
 */
function sliceExtent(d: Dim, sl: SliceAxis): { begin: Dim; size: Dim; after: Dim } | undefined {
  if (typeof d === 'number') {
    const { begin, size } = staticSlice(d, sl);
    return { begin, size, after: sl.step === 1 ? d - begin - size : 0 };
  }
  if (sl.step !== 1) return undefined;
  const { start, end } = sl;
  const begin = start < 0 ? dimAdd(d, start) : start;
  if (end >= TO_END) return { begin, size: start < 0 ? -start : dimAdd(d, -start), after: 0 };
  if (end < 0) return { begin, size: start < 0 ? end - start : dimAdd(d, end - start), after: -end };
  if (start >= 0) return { begin, size: end - start, after: dimAdd(d, -end) };
  return undefined;
}

function inferSlice(args: InferArgs): OutputSpec[] {
  const x = input(args, 0);
  const shape: Dim[] = [...x.shape];
  const axes = sliceAxes(args.inputs, x.shape.length, args.where);
  if (axes === undefined) {
    const axesValue = optionalInput(args, 3);
    const touched =
      axesValue === undefined
        ? undefined
        : knownInts(axesValue, args.where, 'axes').map((a) => normAxis(a, shape.length, args.where));
    return [
      {
        dtype: x.dtype,
        shape: shape.map((d, i) => (touched === undefined || touched.includes(i) ? freshDim() : d)),
      },
    ];
  }
  for (const sl of axes) shape[sl.axis] = sliceExtent(x.shape[sl.axis] as Dim, sl)?.size ?? freshDim();
  // Keep the content of sliced shape tensors (e.g. Shape(x)[1:3]) known.
  let known: readonly Dim[] | undefined;
  const only = axes[0];
  if (x.known !== undefined && axes.length === 1 && only !== undefined && only.step === 1) {
    const ext = staticSlice(x.known.length, only);
    known = x.known.slice(ext.begin, ext.begin + ext.size);
  }
  return [{ dtype: x.dtype, shape, ...(known === undefined ? {} : { known }) }];
}

export const SLICE_CONCAT_OPS: OpDef[] = [
  {
    // y = concat(x_i, axis): dx_i = the slice of dy that x_i filled (one Split of dy)
    name: 'Concat',
    attrs: { axis: 'int' },
    infer: (args) => {
      const xs = args.inputs.map((_, i) => input(args, i));
      const dtype = sameDtype(xs, args.where);
      const first = xs[0] as Value;
      const axis = normAxis(intAttr(args.attrs, 'axis', 0), first.shape.length, args.where);
      const shape = [...first.shape];
      shape[axis] = dimSum(xs.map((x) => x.shape[axis] as Dim));
      const knowns = xs.map((x) => x.known);
      const known = knowns.every((k) => k !== undefined) ? knowns.flat() : undefined;
      return [{ dtype, shape, ...(known === undefined ? {} : { known: known as Dim[] }) }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const xs = node.inputs as Value[];
      const axis = normAxis(intAttr(node.attrs, 'axis', 0), (xs[0] as Value).shape.length, node.name);
      if (!wants.some((w) => w)) return xs.map(() => undefined);
      const parts = g.split(dOut(dOutputs), { axis, sizes: xs.map((x) => x.shape[axis] as Dim) });
      return parts.map((p, i) => (wants[i] === true ? p : undefined));
    },
  },
  {
    // y = x[starts:ends] (step 1): dx = dy zero-padded back to x's shape
    name: 'Slice',
    infer: inferSlice,
    grad: ({ g, node, dOutputs, wants }) => {
      const x = node.inputs[0] as Value;
      const axes = sliceAxes(node.inputs, x.shape.length, node.name);
      const bad = () =>
        new ValidationError(`${node.name}: gradient of Slice needs constant bounds with step 1`);
      const grad = () => {
        if (axes === undefined) throw bad();
        const begins: Dim[] = [];
        const ends: Dim[] = [];
        for (const sl of axes) {
          const ext = sliceExtent(x.shape[sl.axis] as Dim, sl);
          if (ext === undefined || sl.step !== 1) throw bad();
          begins.push(ext.begin);
          ends.push(ext.after);
        }
        return g.pad(dOut(dOutputs), { begins, ends, axes: axes.map((a) => a.axis), shape: x.shape });
      };
      return wanted(wants, [grad]);
    },
  },
  {
    // y_i = the i-th piece of x along axis: dx = concat(dy_i), zeros for pieces without gradient
    name: 'Split',
    attrs: { axis: 'int', num_outputs: 'int' },
    infer: (args) => {
      const x = input(args, 0);
      const axis = normAxis(intAttr(args.attrs, 'axis', 0), x.shape.length, args.where);
      const splitValue = optionalInput(args, 1);
      let sizes: readonly Dim[];
      if (splitValue !== undefined) sizes = dimsOf(splitValue, args.where);
      else {
        const n = intAttr(args.attrs, 'num_outputs', args.numOutputs);
        const d = x.shape[axis] as Dim;
        const chunk = typeof d === 'number' ? Math.ceil(d / n) : undefined;
        sizes = Array.from({ length: n }, (_, i) =>
          chunk === undefined || typeof d !== 'number' ? freshDim() : Math.min(chunk, d - chunk * i),
        );
      }
      return sizes.map((size) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? size : d)) }));
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const x = node.inputs[0] as Value;
      const axis = normAxis(intAttr(node.attrs, 'axis', 0), x.shape.length, node.name);
      const pieces = node.outputs.map((out, i) => dOutputs[i] ?? g.zerosLike(out));
      return wanted(wants, [() => g.concat(pieces, { axis }), undefined]);
    },
  },
  {
    // y = x padded with a constant: dx = the slice of dy where x sits
    name: 'Pad',
    attrs: { mode: 'string' },
    infer: (args) => {
      const x = input(args, 0);
      const pads = dimsOf(input(args, 1), args.where);
      const axesValue = optionalInput(args, 3);
      const axes =
        axesValue === undefined
          ? x.shape.map((_, i) => i)
          : normAxes(knownInts(axesValue, args.where, 'axes'), x.shape.length, args.where);
      if (pads.length !== 2 * axes.length)
        throw new ValidationError(`${args.where}: pads must have 2 entries per axis`);
      const shape = [...x.shape];
      axes.forEach((a, i) => {
        shape[a] = dimSum([x.shape[a] as Dim, pads[i] as Dim, pads[i + axes.length] as Dim]);
      });
      return [{ dtype: x.dtype, shape }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const x = node.inputs[0] as Value;
      const grad = () => {
        const mode = node.attrs['mode'] ?? 'constant';
        const pads = (node.inputs[1] as Value).known;
        if (
          mode !== 'constant' ||
          pads === undefined ||
          !pads.every((p) => typeof p === 'number' && p >= 0)
        ) {
          throw new ValidationError(
            `${node.name}: gradient of Pad needs mode 'constant' and constant pads >= 0`,
          );
        }
        const axesValue = node.inputs[3];
        const axes =
          axesValue === undefined
            ? x.shape.map((_, i) => i)
            : normAxes(knownInts(axesValue, node.name, 'axes'), x.shape.length, node.name);
        const n = axes.length;
        const p = pads as number[];
        return g.slice(dOut(dOutputs), {
          axes,
          starts: axes.map((_, i) => p[i] as number),
          ends: axes.map((_, i) => ((p[i + n] as number) > 0 ? -(p[i + n] as number) : SLICE_END)),
        });
      };
      return wanted(wants, [grad]);
    },
  },
];
