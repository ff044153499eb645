import { COMPARE_OPS } from './compare.ts';
import { ELEMENTWISE_OPS } from './elementwise.ts';
import { FUSED_OPS } from './fused.ts';
import { GATHER_OPS } from './gather.ts';
import { MATMUL_OPS } from './matmul.ts';
import { MISC_OPS } from './misc.ts';
import { REDUCE_OPS } from './reduce.ts';
import { registerOps } from './registry.ts';
import { SHAPE_OPS } from './shape-ops.ts';
import { SLICE_CONCAT_OPS } from './slice-concat.ts';
import { UNARY_OPS } from './unary.ts';

/** Registers every op family once, when the graph module is first imported. */
registerOps([
  ...ELEMENTWISE_OPS,
  ...UNARY_OPS,
  ...COMPARE_OPS,
  ...REDUCE_OPS,
  ...MATMUL_OPS,
  ...SHAPE_OPS,
  ...SLICE_CONCAT_OPS,
  ...GATHER_OPS,
  ...MISC_OPS,
  ...FUSED_OPS,
]);

export { getOp, listOps, registerOp } from './registry.ts';
