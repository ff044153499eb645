import { ValidationError } from '../../util/errors.ts';
import { type Dim, dimAdd, freshDim, normAxis } from '../dims.ts';
import type { OpDef, Value } from '../ir.ts';
import { dOut, inferSame, input, intAttr, knownInts, wanted } from './common.ts';

/** Index and mask helpers: Range, Trilu, ArgMax, TopK, CumSum. */
export const MISC_OPS: OpDef[] = [
  {
    // [start, start + delta, ...) below limit; carries no gradient.
    name: 'Range',
    infer: (args) => {
      const [start, limit, delta] = [input(args, 0), input(args, 1), input(args, 2)];
      const k = [start, limit, delta].map((v) => (v.known?.length === 1 ? v.known[0] : undefined));
      const [s, l, d] = k;
      let n: Dim = freshDim();
      if (typeof s === 'number' && typeof l === 'number' && typeof d === 'number')
        n = Math.max(0, Math.ceil((l - s) / d));
      // range(s, 'T') with step 1 has T - s elements (assuming s <= T), e.g. positions 0..T-1.
      else if (typeof s === 'number' && typeof l === 'string' && d === 1) n = dimAdd(l, -s);
      return [{ dtype: start.dtype, shape: [n] }];
    },
    grad: 'none',
  },
  {
    // y = x with the other triangle zeroed: dx = the same triangle of dy
    name: 'Trilu',
    attrs: { upper: 'int' },
    infer: inferSame,
    grad: ({ g, node, dOutputs, wants }) => {
      const k = node.inputs[1];
      return wanted(wants, [
        () =>
          g.trilu(dOut(dOutputs), {
            upper: intAttr(node.attrs, 'upper', 1) === 1,
            ...(k === undefined ? {} : { k }),
          }),
        undefined,
      ]);
    },
  },
  {
    // Index of the largest element along axis; carries no gradient.
    name: 'ArgMax',
    attrs: { axis: 'int', keepdims: 'int', select_last_index: 'int' },
    infer: (args) => {
      const x = input(args, 0);
      const axis = normAxis(intAttr(args.attrs, 'axis', 0), x.shape.length, args.where);
      const keep = intAttr(args.attrs, 'keepdims', 1) === 1;
      const shape = keep ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
      return [{ dtype: 'int64', shape }];
    },
    grad: 'none',
  },
  {
    // (values, indices) of the k largest (or smallest) along axis: dx = dvalues scattered back to
    // the chosen positions; indices carry no gradient.
    name: 'TopK',
    attrs: { axis: 'int', largest: 'int', sorted: 'int' },
    infer: (args) => {
      const x = input(args, 0);
      const axis = normAxis(intAttr(args.attrs, 'axis', -1), x.shape.length, args.where);
      const k = input(args, 1).known?.[0] ?? freshDim();
      const shape = x.shape.map((d, i) => (i === axis ? k : d));
      return [
        { dtype: x.dtype, shape },
        { dtype: 'int64', shape },
      ];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const x = node.inputs[0] as Value;
      const indices = node.outputs[1];
      const axis = normAxis(intAttr(node.attrs, 'axis', -1), x.shape.length, node.name);
      const grad = () => {
        if (indices === undefined)
          throw new ValidationError(`${node.name}: gradient of TopK needs its indices output`);
        const updates = dOut(dOutputs, 0);
        return g.scatterElements({ data: g.zerosLike(x), indices, updates, axis, reduction: 'add' });
      };
      return wanted(wants, [grad, undefined]);
    },
  },
  {
    // y_i = Σ_{j<=i} x_j along axis: dx_j = Σ_{i>=j} dy_i, the cumulative sum in the other direction
    name: 'CumSum',
    attrs: { exclusive: 'int', reverse: 'int' },
    infer: (args) => {
      knownInts(input(args, 1), args.where, 'axis');
      return inferSame(args);
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const axis = knownInts(node.inputs[1] as Value, node.name, 'axis')[0] as number;
      return wanted(wants, [
        () =>
          g.cumSum(dOut(dOutputs), {
            axis,
            exclusive: intAttr(node.attrs, 'exclusive', 0) === 1,
            reverse: intAttr(node.attrs, 'reverse', 0) !== 1,
          }),
        undefined,
      ]);
    },
  },
];
