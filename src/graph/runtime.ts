import { InferenceSession, Tensor } from 'onnxruntime-node';
import { ValidationError } from '../util/errors.ts';
import type { DType, TypedData } from './dtype.ts';
import { concatExternal, type EmittedModel } from './onnx/model.ts';
import { fromData, type HostTensor } from './tensor.ts';

/**
 * ONNX Runtime (onnxruntime-node, CPU) glue: sessions from emitted bytes, host tensors in and out.
 * `run` blocks the event loop for the whole computation; servers call it from worker threads.
 */
export interface SessionOptions {
  model: EmittedModel;
  /** Intra-op threads (default 1: on two cores, two threads were often slower). */
  threads?: number;
  /**
   * ONNX Runtime graph optimisation level. Default 'all' for float32 models and 'basic' when the
   * model uses float64: extended fusions rewrite primitives into contrib ops with float32-only
   * kernels (x * sigmoid(x) becomes QuickGelu, which then fails to load in float64).
   */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/**
 * A session from emitted bytes. External data is handed over in memory (`externalData` option,
 * at most 4 GiB in one buffer); beyond that, write files with `writeModelFiles` and create the
 * session from the model's path.
 */
export async function createSession(options: SessionOptions): Promise<InferenceSession> {
  const { model, external } = options.model;
  const sessionOptions: InferenceSession.SessionOptions = {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimization ?? (options.model.usesFloat64 ? 'basic' : 'all'),
    ...(external === undefined
      ? {}
      : { externalData: [{ path: external.location, data: concatExternal(external) }] }),
  };
  return InferenceSession.create(model, sessionOptions);
}

const ORT_TYPES: Readonly<Record<DType, Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  int64: 'int64',
  int32: 'int32',
  uint8: 'uint8',
  bool: 'bool',
};

export function toOrt(t: HostTensor): Tensor {
  return new Tensor(ORT_TYPES[t.dtype], t.data as never, [...t.dims]);
}

const FROM_ORT: Readonly<Record<string, DType>> = Object.fromEntries(
  Object.entries(ORT_TYPES).map(([k, v]) => [v, k as DType]),
) as Record<string, DType>;

export function fromOrt(t: Tensor): HostTensor {
  const dtype = FROM_ORT[t.type];
  if (dtype === undefined)
    throw new ValidationError(`ONNX Runtime returned a ${t.type} tensor, which the graph code does not read`);
  return fromData({ dtype, dims: t.dims.map(Number), data: t.data as TypedData });
}

/** Runs a session on host tensors and returns the fetched outputs (default: all). */
export async function runSession(options: {
  session: InferenceSession;
  feeds: Readonly<Record<string, HostTensor>>;
  fetches?: readonly string[];
}): Promise<Record<string, HostTensor>> {
  const feeds = Object.fromEntries(Object.entries(options.feeds).map(([k, v]) => [k, toOrt(v)]));
  const result =
    options.fetches === undefined
      ? await options.session.run(feeds)
      : await options.session.run(feeds, [...options.fetches]);
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, fromOrt(v as Tensor)]));
}
