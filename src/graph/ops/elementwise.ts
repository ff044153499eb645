import { broadcastShapes } from '../dims.ts';
import type { OpDef, Value } from '../ir.ts';
import { dOut, inferBroadcast, input, requireDtype, sameDtype, wanted } from './common.ts';

/**
 * Binary and variadic elementwise ops with numpy broadcasting. Every rule sums the gradient back
 * to the operand's shape with `g.sumTo` (a ReduceSum over the broadcast axes, known statically).
 */
const FLOATS = ['float32', 'float64'] as const;

export const ELEMENTWISE_OPS: OpDef[] = [
  {
    // y = a + b: da = dy, db = dy
    name: 'Add',
    infer: (args) => inferBroadcast(args),
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b] = node.inputs as [Value, Value];
      const dy = dOut(dOutputs);
      return wanted(wants, [() => g.sumTo(dy, a), () => g.sumTo(dy, b)]);
    },
  },
  {
    // y = a - b: da = dy, db = -dy
    name: 'Sub',
    infer: (args) => inferBroadcast(args),
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b] = node.inputs as [Value, Value];
      const dy = dOut(dOutputs);
      return wanted(wants, [() => g.sumTo(dy, a), () => g.neg(g.sumTo(dy, b))]);
    },
  },
  {
    // y = a * b: da = dy * b, db = dy * a
    name: 'Mul',
    infer: (args) => inferBroadcast(args),
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b] = node.inputs as [Value, Value];
      const dy = dOut(dOutputs);
      return wanted(wants, [() => g.sumTo(g.mul(dy, b), a), () => g.sumTo(g.mul(dy, a), b)]);
    },
  },
  {
    // y = a / b: da = dy / b, db = -dy * a / b² = -dy * y / b
    name: 'Div',
    infer: (args) => inferBroadcast(args),
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b] = node.inputs as [Value, Value];
      const y = node.outputs[0] as Value;
      const dy = dOut(dOutputs);
      return wanted(wants, [() => g.sumTo(g.div(dy, b), a), () => g.sumTo(g.neg(g.div(g.mul(dy, y), b)), b)]);
    },
  },
  {
    // y = a ^ b: da = dy * b * a^(b-1), db = dy * y * ln(a)
    name: 'Pow',
    infer: (args) => {
      requireDtype(input(args, 0), FLOATS, args.where);
      return inferBroadcast(args);
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b] = node.inputs as [Value, Value];
      const y = node.outputs[0] as Value;
      const dy = dOut(dOutputs);
      const exponent = constantScalar(b);
      const da = () => {
        // A constant exponent p folds to p * a^(p-1) with both numbers known while building.
        const slope =
          exponent === undefined ? g.mul(b, g.pow(a, g.sub(b, 1))) : g.mul(g.pow(a, exponent - 1), exponent);
        return g.sumTo(g.mul(dy, slope), a);
      };
      return wanted(wants, [da, () => g.sumTo(g.mul(g.mul(dy, y), g.log(a)), b)]);
    },
  },
  {
    // y = max(a, b): the larger operand takes dy; a tie goes to a.
    name: 'Max',
    infer: (args) => inferBroadcast(args),
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b] = node.inputs as [Value, Value];
      const dy = dOut(dOutputs);
      const bWins = () => g.less(a, b);
      return wanted(wants, [
        () => g.sumTo(g.where({ cond: bWins(), ifTrue: 0, ifFalse: dy }), a),
        () => g.sumTo(g.where({ cond: bWins(), ifTrue: dy, ifFalse: 0 }), b),
      ]);
    },
  },
  {
    // y = min(a, b): the smaller operand takes dy; a tie goes to a.
    name: 'Min',
    infer: (args) => inferBroadcast(args),
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b] = node.inputs as [Value, Value];
      const dy = dOut(dOutputs);
      const bWins = () => g.greater(a, b);
      return wanted(wants, [
        () => g.sumTo(g.where({ cond: bWins(), ifTrue: 0, ifFalse: dy }), a),
        () => g.sumTo(g.where({ cond: bWins(), ifTrue: dy, ifFalse: 0 }), b),
      ]);
    },
  },
  {
    // y = Σ x_i: dx_i = dy (the autodiff uses Sum to accumulate fan-in)
    name: 'Sum',
    infer: (args) => inferBroadcast(args),
    grad: ({ g, node, dOutputs, wants }) => {
      const dy = dOut(dOutputs);
      return wanted(
        wants,
        node.inputs.map((x) => () => g.sumTo(dy, x as Value)),
      );
    },
  },
  {
    // y = cond ? a : b: da = cond ? dy : 0, db = cond ? 0 : dy; cond (bool) has no gradient
    name: 'Where',
    infer: (args) => {
      const [cond, a, b] = [input(args, 0), input(args, 1), input(args, 2)];
      requireDtype(cond, ['bool'], args.where);
      const dtype = sameDtype([a, b], args.where);
      return [{ dtype, shape: broadcastShapes([cond.shape, a.shape, b.shape], args.where) }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const [cond, a, b] = node.inputs as [Value, Value, Value];
      const dy = dOut(dOutputs);
      return wanted(wants, [
        undefined,
        () => g.sumTo(g.where({ cond, ifTrue: dy, ifFalse: 0 }), a),
        () => g.sumTo(g.where({ cond, ifTrue: 0, ifFalse: dy }), b),
      ]);
    },
  },
];

/** The number held by a rank-0 (or single-element) float constant, if `v` is one. */
export function constantScalar(v: Value): number | undefined {
  if (v.kind !== 'initializer' || v.data === undefined || v.data.data.length !== 1) return undefined;
  const x = v.data.data[0];
  return typeof x === 'number' ? x : undefined;
}
