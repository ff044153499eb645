/**
 * Tensor graphs for ONNX Runtime: build with `GraphBuilder`, differentiate with `grad`, emit with
 * `emitModel`, run with `createSession` / `runSession`.
 *
 *   const g = new GraphBuilder();
 *   const x = g.input({ name: 'x', dtype: 'float32', shape: ['B', 'T', 576] });
 *   const w = g.input({ name: 'lora_a', dtype: 'float32', shape: [576, 8] });
 *   const loss = g.reduceMean(g.matmul(x, w), { keepdims: false });
 *   const [dw] = grad({ graph: g, loss, wrt: [w] });
 *   g.output(loss, 'loss');
 *   g.output(dw, 'grad_lora_a');
 *   const session = await createSession({ model: emitModel({ graph: g }) });
 */
export { grad } from './autodiff.ts';
export { GraphBuilder, type Operand, type ShapeArg } from './builder.ts';
export type { Dim, Shape } from './dims.ts';
export type { DType } from './dtype.ts';
export type { GraphOutput } from './graph.ts';
export type { GraphNode, OpDef, Value } from './ir.ts';
export { writeModelFiles } from './onnx/files.ts';
export { concatExternal, type EmittedModel, emitModel } from './onnx/model.ts';
export { getOp, listOps, registerOp } from './ops/index.ts';
export { createRng, type Rng } from './random.ts';
export { createSession, fromOrt, runSession, toOrt } from './runtime.ts';
export { type HostTensor, tensor, toNumbers } from './tensor.ts';
