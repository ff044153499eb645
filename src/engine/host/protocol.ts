import { z } from 'zod';
import type { HostTensor } from '../../graph/tensor.ts';
import {
  GenerateRequestSchema,
  GenerationProgressSchema,
  GenerationStatsSchema,
  IntakeSchema,
  OpenGenerationRequestSchema,
} from '../generation/generation-types.ts';

/**
 * Messages between the main thread and a session host worker. Both sides validate what they
 * receive with these schemas. Tensors cross as `{ dtype, dims, data }` with typed-array data; large
 * buffers travel in the transfer list, so they move instead of being copied.
 */

const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

export const WireTensorSchema = z
  .object({
    dtype: z.enum(['float32', 'float64', 'int64', 'int32', 'uint8', 'bool']),
    dims: z.array(z.number().int().nonnegative()).readonly(),
    data: z.custom<HostTensor['data']>((v) => ArrayBuffer.isView(v), 'expected a typed array'),
  })
  .superRefine((t, ctx) => {
    if (!(t.data instanceof TYPED_ARRAYS[t.dtype])) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: `expected ${TYPED_ARRAYS[t.dtype].name}` });
    }
    const size = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) {
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: `holds ${t.data.length} elements, dims [${t.dims.join(', ')}] need ${size}`,
      });
    }
  });

export const FeedsSchema = z.record(z.string(), WireTensorSchema);

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array');

/** Where sessions run: ONNX Runtime's CPU provider, or CUDA (needs onnxruntime-node's CUDA libraries). */
export const ExecutionProviderSchema = z.enum(['cpu', 'cuda']);
export type ExecutionProvider = z.infer<typeof ExecutionProviderSchema>;

export const OptimizationSchema = z.enum(['disabled', 'basic', 'extended', 'all']);

export const RequestSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('create'),
    id: z.number().int(),
    session: z.string().min(1),
    model: bytes,
    external: z.object({ path: z.string().min(1), data: bytes }).optional(),
    threads: z.number().int().positive(),
    optimization: OptimizationSchema,
    /**
     * ORT's memory pattern: plans one block per set of input shapes after a first run. Worth it for
     * fixed shapes; with shapes that change between runs it keeps growing (a second arena's worth).
     */
    memoryPattern: z.boolean(),
    /** ORT's CPU arena: keeps freed blocks for reuse (faster allocation, a higher resident peak). */
    memoryArena: z.boolean(),
    executionProvider: ExecutionProviderSchema,
  }),
  /** Inputs kept in the worker and fed on every run of the session (LoRA weights, frozen tables). */
  z.object({ kind: z.literal('bind'), id: z.number().int(), session: z.string(), feeds: FeedsSchema }),
  z.object({
    kind: z.literal('run'),
    id: z.number().int(),
    session: z.string(),
    feeds: FeedsSchema,
    fetches: z.array(z.string()).optional(),
  }),
  /**
   * Generates with a session of the generation graph (see generation/generation-loop.ts): answered
   * by a 'progress' message per step and a final 'generated' (or 'error').
   */
  z.object({
    kind: z.literal('generate'),
    id: z.number().int(),
    session: z.string(),
    generation: GenerateRequestSchema,
  }),
  /**
   * An open generation: sequences arrive by 'intake' messages while it runs. Answered by a
   * 'progress' message per step (with the tokens drawn in it) and a final 'generated' once an
   * intake has ended it and its sequences are done (or 'error').
   */
  z.object({
    kind: z.literal('generate-open'),
    id: z.number().int(),
    session: z.string(),
    generation: OpenGenerationRequestSchema,
  }),
  /** Adds or drops sequences of open generation `target`, or ends its arrivals (handled out of turn). */
  z.object({
    kind: z.literal('intake'),
    id: z.number().int(),
    target: z.number().int(),
    intake: IntakeSchema,
  }),
  /** Stops the generation started by request `target` before its next step (handled out of turn). */
  z.object({ kind: z.literal('cancel'), id: z.number().int(), target: z.number().int(), reason: z.string() }),
  z.object({ kind: z.literal('release'), id: z.number().int(), session: z.string() }),
  z.object({ kind: z.literal('close'), id: z.number().int() }),
]);
export type Request = z.infer<typeof RequestSchema>;

export const SessionInfoSchema = z.object({
  inputNames: z.array(z.string()),
  outputNames: z.array(z.string()),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export const ErrorPayloadSchema = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  retryable: z.boolean(),
});
export type ErrorPayload = z.infer<typeof ErrorPayloadSchema>;

export const ResponseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('created'), id: z.number().int(), info: SessionInfoSchema }),
  z.object({
    kind: z.literal('outputs'),
    id: z.number().int(),
    outputs: FeedsSchema,
    /** Milliseconds inside `session.run` (excludes messaging), for benchmarks. */
    runMs: z.number(),
  }),
  z.object({ kind: z.literal('done'), id: z.number().int() }),
  /** A step of generation request `id`; more messages follow. */
  z.object({ kind: z.literal('progress'), id: z.number().int(), progress: GenerationProgressSchema }),
  z.object({ kind: z.literal('generated'), id: z.number().int(), stats: GenerationStatsSchema }),
  z.object({ kind: z.literal('error'), id: z.number().int(), error: ErrorPayloadSchema }),
]);
export type Response = z.infer<typeof ResponseSchema>;

/**
 * The buffers of these tensors for a transfer list, each once. A view that covers only part of
 * its buffer is copied first (transferring would detach memory the caller still uses elsewhere).
 */
export function transferable(tensors: Record<string, HostTensor>): {
  tensors: Record<string, HostTensor>;
  buffers: ArrayBuffer[];
} {
  const buffers = new Set<ArrayBuffer>();
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    let data = t.data;
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    if (!whole || !(data.buffer instanceof ArrayBuffer)) data = data.slice() as typeof data;
    buffers.add(data.buffer as ArrayBuffer);
    out[name] = { dtype: t.dtype, dims: t.dims, data };
  }
  return { tensors: out, buffers: [...buffers] };
}
