import { ValidationError } from '../../util/errors.ts';
import { dtypeFromOnnx, isFloat } from '../dtype.ts';
import type { GraphBuilder } from '../builder.ts';
import type { OpDef, Value } from '../ir.ts';
import { dOut, inferSame, input, intAttr, requireDtype } from './common.ts';

/** Unary elementwise ops; each rule writes dx in terms of x, y = f(x) and dy. */
const FLOATS = ['float32', 'float64'] as const;

type UnaryRule = (args: { g: GraphBuilder; x: Value; y: Value; dy: Value }) => Value;

function floatUnary(name: string, grad: UnaryRule): OpDef {
  return {
    name,
    infer: (args) => {
      requireDtype(input(args, 0), FLOATS, args.where);
      return inferSame(args);
    },
    grad: ({ g, node, dOutputs, wants }) =>
      wants[0] === true
        ? [grad({ g, x: node.inputs[0] as Value, y: node.outputs[0] as Value, dy: dOut(dOutputs) })]
        : [undefined],
  };
}

export const UNARY_OPS: OpDef[] = [
  // y = -x: dx = -dy
  floatUnary('Neg', ({ g, dy }) => g.neg(dy)),
  // y = e^x: dx = dy * y
  floatUnary('Exp', ({ g, y, dy }) => g.mul(dy, y)),
  // y = ln x: dx = dy / x
  floatUnary('Log', ({ g, x, dy }) => g.div(dy, x)),
  // y = √x: dx = dy / (2y)
  floatUnary('Sqrt', ({ g, y, dy }) => g.div(g.mul(dy, 0.5), y)),
  // y = 1/x: dx = -dy / x² = -dy * y²
  floatUnary('Reciprocal', ({ g, y, dy }) => g.neg(g.mul(dy, g.mul(y, y)))),
  // y = σ(x): dx = dy * y * (1 - y)
  floatUnary('Sigmoid', ({ g, y, dy }) => g.mul(dy, g.mul(y, g.sub(1, y)))),
  // y = tanh x: dx = dy * (1 - y²)
  floatUnary('Tanh', ({ g, y, dy }) => g.mul(dy, g.sub(1, g.mul(y, y)))),
  // y = |x|: dx = dy * sign(x) (0 at x = 0)
  floatUnary('Abs', ({ g, x, dy }) => g.mul(dy, g.sign(x))),
  // y = max(x, 0): dx = dy where x > 0, else 0
  floatUnary('Relu', ({ g, x, dy }) => g.where({ cond: g.greater(x, 0), ifTrue: dy, ifFalse: 0 })),
  // y = sin x: dx = dy * cos x
  floatUnary('Sin', ({ g, x, dy }) => g.mul(dy, g.cos(x))),
  // y = cos x: dx = -dy * sin x
  floatUnary('Cos', ({ g, x, dy }) => g.neg(g.mul(dy, g.sin(x)))),
  // sign is piecewise constant: zero gradient almost everywhere, so no gradient flows.
  { name: 'Sign', infer: inferSame, grad: 'none' },
  {
    // y = x: dx = dy
    name: 'Identity',
    infer: inferSame,
    grad: ({ dOutputs, wants }) => [wants[0] === true ? dOut(dOutputs) : undefined],
  },
  // Identity whose output differentiation treats as a constant (e.g. a detached baseline).
  { name: 'StopGradient', onnxType: 'Identity', infer: inferSame, grad: 'none' },
  {
    // y = cast(x): dx = cast(dy) back to x's type; integer and bool casts carry no gradient
    // (autodiff never sends a gradient into a non-float value).
    name: 'Cast',
    attrs: { to: 'int', saturate: 'int', round_mode: 'string' },
    infer: (args) => {
      const to = intAttr(args.attrs, 'to', -1);
      if (to < 0) throw new ValidationError(`${args.where}: attribute 'to' is required`);
      return [{ dtype: dtypeFromOnnx(to), shape: input(args, 0).shape }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const x = node.inputs[0] as Value;
      if (wants[0] !== true || !isFloat(x.dtype)) return [undefined];
      return [g.cast(dOut(dOutputs), x.dtype)];
    },
  },
];
