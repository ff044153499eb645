import { ValidationError } from '../../util/errors.ts';
import type { GraphBuilder } from '../builder.ts';
import { broadcastShapes, type Dim } from '../dims.ts';
import type { OpDef, Value } from '../ir.ts';
import {
  checkSameDim,
  dOut,
  floatAttr,
  input,
  intAttr,
  optionalInput,
  requireDtype,
  sameDtype,
  wanted,
} from './common.ts';

/**
 * MatMul with numpy semantics (batched, broadcasting batch dims, 1-D operands promoted) and Gemm.
 */
const FLOATS = ['float32', 'float64'] as const;

/** Swaps the last two axes. */
function transposeLast(g: GraphBuilder, v: Value): Value {
  const r = v.shape.length;
  const perm = v.shape.map((_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return g.transpose(v, perm);
}

/**
 * Gradients of y = a @ b for operands of rank >= 2 (1-D operands are promoted by the caller):
 * da = dy @ bᵀ, db = aᵀ @ dy, each summed over broadcast batch dims. When b is a 2-D weight and a
 * has batch dims, db is one GEMM over the flattened rows, aᵀ·dy with K = rows, instead of a batched
 * product followed by a reduction.
 */
function matmulGrads(
  g: GraphBuilder,
  a: Value,
  b: Value,
  dy: Value,
  wants: readonly boolean[],
): (Value | undefined)[] {
  return wanted(wants, [
    () => g.sumTo(g.matmul(dy, transposeLast(g, b)), a),
    () => {
      if (b.shape.length === 2 && a.shape.length > 2) {
        return g.gemm({ a: g.flattenRows(a), b: g.flattenRows(dy), transA: true });
      }
      return g.sumTo(g.matmul(transposeLast(g, a), dy), b);
    },
  ]);
}

export const MATMUL_OPS: OpDef[] = [
  {
    // y = a @ b: da = dy @ bᵀ, db = aᵀ @ dy (summed over broadcast batch dims)
    name: 'MatMul',
    infer: (args) => {
      const [a, b] = [input(args, 0), input(args, 1)];
      const dtype = sameDtype([a, b], args.where);
      requireDtype(a, FLOATS, args.where);
      if (a.shape.length === 0 || b.shape.length === 0) {
        throw new ValidationError(`${args.where}: MatMul operands must have rank >= 1`);
      }
      const as = a.shape.length === 1 ? [1, ...a.shape] : a.shape;
      const bs = b.shape.length === 1 ? [...b.shape, 1] : b.shape;
      checkSameDim(as[as.length - 1] as Dim, bs[bs.length - 2] as Dim, args.where, 'inner dimensions', [
        a.shape,
        b.shape,
      ]);
      const batch = broadcastShapes([as.slice(0, -2), bs.slice(0, -2)], args.where);
      const shape: Dim[] = [...batch];
      if (a.shape.length > 1) shape.push(as[as.length - 2] as Dim);
      if (b.shape.length > 1) shape.push(bs[bs.length - 1] as Dim);
      return [{ dtype, shape }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b] = node.inputs as [Value, Value];
      let dy = dOut(dOutputs);
      // Promote 1-D operands to matrices (and dy with them), then squeeze the promoted axis back.
      const a2 = a.shape.length === 1 ? g.unsqueeze(a, [0]) : a;
      const b2 = b.shape.length === 1 ? g.unsqueeze(b, [1]) : b;
      if (a.shape.length === 1) dy = g.unsqueeze(dy, [b.shape.length === 1 ? 0 : -2]);
      if (b.shape.length === 1) dy = g.unsqueeze(dy, [-1]);
      const [da, db] = matmulGrads(g, a2, b2, dy, wants);
      return [
        da !== undefined && a.shape.length === 1 ? g.squeeze(da, [0]) : da,
        db !== undefined && b.shape.length === 1 ? g.squeeze(db, [1]) : db,
      ];
    },
  },
  {
    // y = α op(a) op(b) + β c with op = transpose when transA/transB. With a' = op(a):
    // da' = α dy op(b)ᵀ, db' = α op(a)ᵀ dy, dc = β dy summed to c's shape; transposed back when
    // the operand was transposed. Each is itself a Gemm with the right flags.
    name: 'Gemm',
    attrs: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int' },
    infer: (args) => {
      const [a, b, c] = [input(args, 0), input(args, 1), optionalInput(args, 2)];
      const dtype = sameDtype(c === undefined ? [a, b] : [a, b, c], args.where);
      requireDtype(a, FLOATS, args.where);
      if (a.shape.length !== 2 || b.shape.length !== 2)
        throw new ValidationError(`${args.where}: Gemm needs 2-D a and b`);
      const ta = intAttr(args.attrs, 'transA', 0) === 1;
      const tb = intAttr(args.attrs, 'transB', 0) === 1;
      const [m, ka] = (ta ? [a.shape[1], a.shape[0]] : a.shape) as [Dim, Dim];
      const [kb, n] = (tb ? [b.shape[1], b.shape[0]] : b.shape) as [Dim, Dim];
      checkSameDim(ka, kb, args.where, 'inner dimensions', [a.shape, b.shape]);
      if (c !== undefined) broadcastShapes([[m, n], c.shape], args.where);
      return [{ dtype, shape: [m, n] }];
    },
    grad: ({ g, node, dOutputs, wants }) => {
      const [a, b, c] = node.inputs as [Value, Value, Value | undefined];
      const dy = dOut(dOutputs);
      const alpha = floatAttr(node.attrs, 'alpha', 1);
      const beta = floatAttr(node.attrs, 'beta', 1);
      const ta = intAttr(node.attrs, 'transA', 0) === 1;
      const tb = intAttr(node.attrs, 'transB', 0) === 1;
      return wanted(wants, [
        // transA: da = α op(b) dyᵀ, else da = α dy op(b)ᵀ
        () =>
          ta
            ? g.gemm({ a: b, b: dy, transA: tb, transB: true, alpha })
            : g.gemm({ a: dy, b, transB: !tb, alpha }),
        // transB: db = α dyᵀ op(a), else db = α op(a)ᵀ dy
        () =>
          tb
            ? g.gemm({ a: dy, b: a, transA: true, transB: ta, alpha })
            : g.gemm({ a, b: dy, transA: !ta, alpha }),
        c === undefined ? undefined : () => g.sumTo(beta === 1 ? dy : g.mul(dy, beta), c),
      ]);
    },
  },
];
