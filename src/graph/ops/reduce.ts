import type { GraphBuilder } from '../builder.ts';
import { normAxis, staticSize } from '../dims.ts';
import type { GraphNode, InferArgs, OpDef, OutputSpec, Value } from '../ir.ts';
import { dOut, inferSame, input, intAttr, knownInts, normAxes, wanted } from './common.ts';

/**
 * Reductions over constant axes (ONNX opset 18+ passes axes as an input; the builder always gives
 * them explicitly) and the softmax family. The rules first bring dy back to keepdims form (dyK:
 * size 1 on reduced axes) so that it broadcasts against x statically.
 */
const REDUCE_ATTRS = { keepdims: 'int', noop_with_empty_axes: 'int' } as const;

function reducedAxes(args: { inputs: readonly (Value | undefined)[]; where: string }, x: Value): number[] {
  const axesValue = args.inputs[1];
  if (axesValue === undefined) return x.shape.map((_, i) => i);
  return normAxes(knownInts(axesValue, args.where, 'axes'), x.shape.length, args.where);
}

function inferReduce(args: InferArgs): OutputSpec[] {
  const x = input(args, 0);
  const axes = reducedAxes(args, x);
  const keep = intAttr(args.attrs, 'keepdims', 1) === 1;
  const shape = keep
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  return [{ dtype: x.dtype, shape }];
}

interface ReduceParts {
  x: Value;
  y: Value;
  axes: number[];
  /** dy with size-1 reduced axes. */
  dyK: Value;
  /** y with size-1 reduced axes. */
  yK: () => Value;
}

function parts(g: GraphBuilder, node: GraphNode, dOutputs: readonly (Value | undefined)[]): ReduceParts {
  const x = node.inputs[0] as Value;
  const y = node.outputs[0] as Value;
  const axes = reducedAxes({ inputs: node.inputs, where: node.name }, x);
  const keep = intAttr(node.attrs, 'keepdims', 1) === 1;
  const restore = (v: Value) => (keep || axes.length === 0 ? v : g.unsqueeze(v, axes));
  return { x, y, axes, dyK: restore(dOut(dOutputs)), yK: () => restore(y) };
}

/** Number of elements reduced into each output, as a constant or computed at run time. */
function reducedCount(g: GraphBuilder, p: ReduceParts): Value | number {
  const n = staticSize(p.axes.map((a) => p.x.shape[a] ?? 1));
  if (n !== undefined) return n;
  return g.div(g.cast(g.size(p.x), p.x.dtype), g.cast(g.size(p.y), p.x.dtype));
}

function reduceOp(name: string, rule: (g: GraphBuilder, p: ReduceParts) => Value): OpDef {
  return {
    name,
    attrs: REDUCE_ATTRS,
    infer: inferReduce,
    grad: ({ g, node, dOutputs, wants }) =>
      wanted(wants, [() => rule(g, parts(g, node, dOutputs)), undefined]),
  };
}

/** Gradient of max/min: dy goes to the positions equal to the extremum, split evenly among ties. */
function extremumRule(g: GraphBuilder, p: ReduceParts): Value {
  const mask = g.cast(g.equal(p.x, p.yK()), p.x.dtype);
  const ties = g.reduceSum(mask, { axes: p.axes, keepdims: true });
  return g.mul(mask, g.div(p.dyK, ties));
}

export const REDUCE_OPS: OpDef[] = [
  // y = Σ_axes x: dx = dyK broadcast to x's shape
  reduceOp('ReduceSum', (g, p) => g.expand(p.dyK, g.shape(p.x))),
  // y = Σ_axes x / N: dx = dyK / N broadcast
  reduceOp('ReduceMean', (g, p) => g.expand(g.div(p.dyK, reducedCount(g, p)), g.shape(p.x))),
  // y = Σ_axes x²: dx = 2 x dyK
  reduceOp('ReduceSumSquare', (g, p) => g.mul(g.mul(p.x, 2), p.dyK)),
  // y = ln Σ_axes e^x: dx = dyK * e^(x - yK)
  reduceOp('ReduceLogSumExp', (g, p) => g.mul(p.dyK, g.exp(g.sub(p.x, p.yK())))),
  // y = max_axes x: dx = dyK at the argmax positions (ties share it)
  reduceOp('ReduceMax', extremumRule),
  // y = min_axes x: dx = dyK at the argmin positions (ties share it)
  reduceOp('ReduceMin', extremumRule),
  {
    // y = softmax(x) along axis: dx = y * (dy - Σ_axis dy*y)
    name: 'Softmax',
    attrs: { axis: 'int' },
    infer: inferSame,
    grad: ({ g, node, dOutputs, wants }) => {
      const y = node.outputs[0] as Value;
      const axis = normAxis(intAttr(node.attrs, 'axis', -1), y.shape.length, node.name);
      const dy = dOut(dOutputs);
      return wanted(wants, [
        () => g.mul(y, g.sub(dy, g.reduceSum(g.mul(dy, y), { axes: [axis], keepdims: true }))),
      ]);
    },
  },
  {
    // y = x - ln Σ_axis e^x: dx = dy - e^y * Σ_axis dy
    name: 'LogSoftmax',
    attrs: { axis: 'int' },
    infer: inferSame,
    grad: ({ g, node, dOutputs, wants }) => {
      const y = node.outputs[0] as Value;
      const axis = normAxis(intAttr(node.attrs, 'axis', -1), y.shape.length, node.name);
      const dy = dOut(dOutputs);
      return wanted(wants, [
        () => g.sub(dy, g.mul(g.exp(y), g.reduceSum(dy, { axes: [axis], keepdims: true }))),
      ]);
    },
  },
];
