import { ValidationError } from '../../util/errors.ts';
import { broadcastShapes, type Dim, dimQuotient, formatShape, freshDim, staticSize } from '../dims.ts';
import { dtypeFromOnnx } from '../dtype.ts';
import type { InferArgs, OpDef, OutputSpec, Value } from '../ir.ts';
import type { HostTensor } from '../tensor.ts';
import {
  dOut,
  input,
  intAttr,
  intsAttr,
  inversePerm,
  knownInts,
  normAxes,
  requireDtype,
  wanted,
} from './common.ts';

/** Ops that move or relabel elements without arithmetic: reshape, transpose, expand, (un)squeeze. */

export function shapeContent(v: Value, where: string): readonly Dim[] | undefined {
  requireDtype(v, ['int64'], where);
  if (v.shape.length !== 1) throw new ValidationError(`${where}: shape input ${v.name} must be 1-D`);
  return v.known;
}

/** Dims of a shape tensor: its known content, or fresh unknowns of the right count. */
export function dimsOf(v: Value, where: string): readonly Dim[] {
  const known = shapeContent(v, where);
  if (known !== undefined) return known;
  const n = v.shape[0];
  if (typeof n !== 'number')
    throw new ValidationError(`${where}: the length of shape input ${v.name} must be static`);
  return Array.from({ length: n }, freshDim);
}

function inferReshape(args: InferArgs): OutputSpec[] {
  const x = input(args, 0);
  const target = dimsOf(input(args, 1), args.where);
  const allowZero = intAttr(args.attrs, 'allowzero', 0) === 1;
  const shape: Dim[] = target.map((t, i) => (t === 0 && !allowZero ? (x.shape[i] ?? freshDim()) : t));
  const minus = shape.indexOf(-1);
  if (minus >= 0)
    shape[minus] = dimQuotient(
      x.shape,
      shape.filter((_, i) => i !== minus),
    );
  const [before, after] = [staticSize(x.shape), staticSize(shape)];
  if (before !== undefined && after !== undefined && before !== after) {
    throw new ValidationError(
      `${args.where}: cannot reshape ${formatShape(x.shape)} to ${formatShape(target)}`,
    );
  }
  return [
    { dtype: x.dtype, shape, ...(x.known !== undefined && shape.length === 1 ? { known: x.known } : {}) },
  ];
}

/** Content stays known through ops that only relabel a tensor of at most one axis. */
function keepKnown(x: Value, shape: readonly Dim[]): { known?: readonly Dim[] } {
  return x.known !== undefined && shape.length <= 1 ? { known: x.known } : {};
}

function transposePerm(attrs: InferArgs['attrs'], rank: number): number[] {
  return [...(intsAttr(attrs, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i))];
}

export const SHAPE_OPS: OpDef[] = [
  {
    // y = reshape(x): dx = reshape(dy, shape(x))
    name: 'Reshape',
    attrs: { allowzero: 'int' },
    infer: inferReshape,
    grad: ({ g, node, dOutputs, wants }) => {
      const x = node.inputs[0] as Value;
      return wanted(wants, [() => g.reshape(dOut(dOutputs), g.shape(x)), undefined]);
    },
  },
  {
    // y = transpose(x, perm): dx = transpose(dy, perm⁻¹)
    name: 'Transpose',
    attrs: { perm: 'ints' },
    infer: (args) => {
      const x = input(args, 0);
      const perm = transposePerm(args.attrs, x.shape.length);
      if (perm.length !== x.shape.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
        throw new ValidationError(
          `${args.where}: perm [${perm.join(', ')}] is not a permutation of rank ${x.shape.length}`,
        );
      }
      return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p] as Dim) }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const perm = transposePerm(node.attrs, (node.inputs[0] as Value).shape.length);
      return wanted(wants, [() => g.transpose(dOut(dOutputs), inversePerm(perm))]);
    },
  },
  {
    // y = broadcast x to shape: dx = dy summed over the broadcast axes
    name: 'Expand',
    infer: (args) => {
      const x = input(args, 0);
      const target = dimsOf(input(args, 1), args.where);
      return [{ dtype: x.dtype, shape: broadcastShapes([x.shape, target], args.where) }];
    },
    grad: ({ g, node, dOutputs, wants }) =>
      wanted(wants, [() => g.sumTo(dOut(dOutputs), node.inputs[0] as Value)]),
  },
  {
    // y = x with size-1 axes inserted: dx = squeeze(dy, axes)
    name: 'Unsqueeze',
    infer: (args) => {
      const x = input(args, 0);
      const rank = x.shape.length + knownInts(input(args, 1), args.where, 'axes').length;
      const axes = normAxes(knownInts(input(args, 1), args.where, 'axes'), rank, args.where);
      const shape: Dim[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : (x.shape[j++] as Dim));
      return [{ dtype: x.dtype, shape, ...keepKnown(x, shape) }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const y = node.outputs[0] as Value;
      const axes = normAxes(knownInts(node.inputs[1] as Value, node.name, 'axes'), y.shape.length, node.name);
      return wanted(wants, [() => g.squeeze(dOut(dOutputs), axes), undefined]);
    },
  },
  {
    // y = x with size-1 axes removed: dx = unsqueeze(dy, axes)
    name: 'Squeeze',
    infer: (args) => {
      const x = input(args, 0);
      const axesValue = args.inputs[1];
      const axes =
        axesValue === undefined
          ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
          : normAxes(knownInts(axesValue, args.where, 'axes'), x.shape.length, args.where);
      for (const a of axes) {
        const d = x.shape[a];
        if (typeof d === 'number' && d !== 1) {
          throw new ValidationError(
            `${args.where}: cannot squeeze axis ${a} of size ${d} in ${formatShape(x.shape)}`,
          );
        }
      }
      const shape = x.shape.filter((_, i) => !axes.includes(i));
      return [{ dtype: x.dtype, shape, ...keepKnown(x, shape) }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const x = node.inputs[0] as Value;
      const axesValue = node.inputs[1];
      const axes =
        axesValue === undefined
          ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
          : normAxes(knownInts(axesValue, node.name, 'axes'), x.shape.length, node.name);
      return wanted(wants, [() => g.unsqueeze(dOut(dOutputs), axes), undefined]);
    },
  },
  {
    // The dimensions of x as an int64 tensor; carries no gradient.
    name: 'Shape',
    attrs: { start: 'int', end: 'int' },
    infer: (args) => {
      const x = input(args, 0);
      const rank = x.shape.length;
      const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
      const start = clampAxis(intAttr(args.attrs, 'start', 0));
      const end = clampAxis(intAttr(args.attrs, 'end', rank));
      const known = x.shape.slice(start, Math.max(start, end));
      return [{ dtype: 'int64', shape: [known.length], known }];
    },
    grad: 'none',
  },
  {
    // Number of elements of x (int64 scalar); carries no gradient.
    name: 'Size',
    infer: () => [{ dtype: 'int64', shape: [] }],
    grad: 'none',
  },
  {
    // A tensor of the given shape filled with `value` (default float32 0); carries no gradient.
    name: 'ConstantOfShape',
    attrs: { value: 'tensor' },
    infer: (args) => {
      const value = args.attrs['value'] as HostTensor | undefined;
      return [{ dtype: value?.dtype ?? dtypeFromOnnx(1), shape: dimsOf(input(args, 0), args.where) }];
    },
    grad: 'none',
  },
];
