import type { OpDef } from '../ir.ts';
import { inferBroadcast, inferSame, input, requireDtype } from './common.ts';

/**
 * Comparisons and boolean logic. Their outputs are bool, piecewise constant in the inputs, so
 * they carry no gradient ('none'): a mask built from them is a constant for differentiation.
 */
function comparison(name: string): OpDef {
  return { name, infer: (args) => inferBroadcast(args, 'bool'), grad: 'none' };
}

function logical(name: string): OpDef {
  return {
    name,
    infer: (args) => {
      for (let i = 0; i < args.inputs.length; i++) requireDtype(input(args, i), ['bool'], args.where);
      return inferBroadcast(args, 'bool');
    },
    grad: 'none',
  };
}

export const COMPARE_OPS: OpDef[] = [
  comparison('Equal'),
  comparison('Less'),
  comparison('LessOrEqual'),
  comparison('Greater'),
  comparison('GreaterOrEqual'),
  logical('And'),
  logical('Or'),
  logical('Xor'),
  {
    name: 'Not',
    infer: (args) => {
      requireDtype(input(args, 0), ['bool'], args.where);
      return inferSame(args);
    },
    grad: 'none',
  },
  { name: 'IsNaN', infer: (args) => [{ dtype: 'bool', shape: input(args, 0).shape }], grad: 'none' },
];
