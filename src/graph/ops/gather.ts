import { type Dim, normAxis } from '../dims.ts';
import type { OpDef, Value } from '../ir.ts';
import { dOut, input, intAttr, inversePerm, requireDtype, wanted } from './common.ts';

/**
 * Gather (embedding lookup), GatherElements (picking token log-probs) and the scatters their
 * gradients use. Gradients accumulate with ScatterND / ScatterElements `reduction='add'` into zeros,
 * so repeated indices (a token used twice) sum their contributions. A one-hot MatMul would cost
 * rows x vocab x width multiply-adds; the scatter costs rows x width additions.
 */
const INDEX_TYPES = ['int64', 'int32'] as const;

export const GATHER_OPS: OpDef[] = [
  {
    // y = data.take(indices, axis): ddata = scatter-add of dy into zeros at the indices
    name: 'Gather',
    attrs: { axis: 'int' },
    infer: (args) => {
      const [data, indices] = [input(args, 0), input(args, 1)];
      requireDtype(indices, INDEX_TYPES, args.where);
      const axis = normAxis(intAttr(args.attrs, 'axis', 0), data.shape.length, args.where);
      const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
      // Gathering from a known shape tensor keeps its content known (picking dims of Shape(x)).
      const picks = indices.known;
      const known =
        data.known !== undefined &&
        picks !== undefined &&
        data.shape.length === 1 &&
        picks.every((p) => typeof p === 'number')
          ? picks.map(
              (p) =>
                data.known?.[(p as number) < 0 ? (p as number) + data.known.length : (p as number)] as Dim,
            )
          : undefined;
      return [
        { dtype: data.dtype, shape, ...(known === undefined || indices.shape.length !== 1 ? {} : { known }) },
      ];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const [data, indices] = node.inputs as [Value, Value];
      const axis = normAxis(intAttr(node.attrs, 'axis', 0), data.shape.length, node.name);
      const dy = dOut(dOutputs);
      const grad = () => {
        const where = g.unsqueeze(indices, [-1]);
        if (axis === 0) {
          return g.scatterND({ data: g.zerosLike(data), indices: where, updates: dy, reduction: 'add' });
        }
        // Move the gathered axis to the front, scatter along it, move it back.
        const r = data.shape.length;
        const q = indices.shape.length;
        const perm = [axis, ...Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis)];
        const zeros = g.expand(g.scalar(0, data.dtype), g.gather(g.shape(data), g.ints(perm)));
        const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
        const updates = g.transpose(dy, [
          ...range(axis, axis + q),
          ...range(0, axis),
          ...range(axis + q, r - 1 + q),
        ]);
        const scattered = g.scatterND({ data: zeros, indices: where, updates, reduction: 'add' });
        return g.transpose(scattered, inversePerm(perm));
      };
      return wanted(wants, [grad, undefined]);
    },
  },
  {
    // y[i][j] = data[index[i][j]][j] (along axis): ddata = scatter-add of dy at the same indices
    name: 'GatherElements',
    attrs: { axis: 'int' },
    infer: (args) => {
      const [data, indices] = [input(args, 0), input(args, 1)];
      requireDtype(indices, INDEX_TYPES, args.where);
      normAxis(intAttr(args.attrs, 'axis', 0), data.shape.length, args.where);
      return [{ dtype: data.dtype, shape: indices.shape }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const [data, indices] = node.inputs as [Value, Value];
      const axis = normAxis(intAttr(node.attrs, 'axis', 0), data.shape.length, node.name);
      return wanted(wants, [
        () =>
          g.scatterElements({
            data: g.zerosLike(data),
            indices,
            updates: dOut(dOutputs),
            axis,
            reduction: 'add',
          }),
        undefined,
      ]);
    },
  },
  {
    // Writes updates into a copy of data at index tuples; no gradient rule (used by gradients).
    name: 'ScatterND',
    attrs: { reduction: 'string' },
    infer: (args) => {
      const data = input(args, 0);
      requireDtype(input(args, 1), INDEX_TYPES, args.where);
      return [{ dtype: data.dtype, shape: data.shape }];
    },
  },
  {
    // Writes updates into a copy of data along an axis; no gradient rule (used by gradients).
    name: 'ScatterElements',
    attrs: { axis: 'int', reduction: 'string' },
    infer: (args) => {
      const data = input(args, 0);
      requireDtype(input(args, 1), INDEX_TYPES, args.where);
      return [{ dtype: data.dtype, shape: data.shape }];
    },
  },
];
