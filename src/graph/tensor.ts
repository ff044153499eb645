import { ValidationError } from '../util/errors.ts';
import { allocate, type DType, type TypedData } from './dtype.ts';
import type { Rng } from './random.ts';

/**
 * A tensor in host memory: element type, static dimensions, row-major data. Used for initializers,
 * test inputs and results read back from ONNX Runtime.
 */
export interface HostTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TypedData;
}

export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function checkDims(dims: readonly number[]): void {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0)
      throw new ValidationError(`tensor dimension ${d} must be an integer >= 0`);
  }
}

/** Wraps existing data, checking that its length matches the dimensions. */
export function fromData(options: { dtype: DType; dims: readonly number[]; data: TypedData }): HostTensor {
  checkDims(options.dims);
  const size = sizeOf(options.dims);
  if (options.data.length !== size) {
    throw new ValidationError(
      `tensor data has ${options.data.length} elements, dims [${options.dims.join(', ')}] need ${size}`,
    );
  }
  return { dtype: options.dtype, dims: [...options.dims], data: options.data };
}

/** A tensor filled from plain numbers (bigints and booleans accepted for int64 and bool). */
export function fromValues(options: {
  dtype: DType;
  dims: readonly number[];
  values: ArrayLike<number | bigint | boolean>;
}): HostTensor {
  checkDims(options.dims);
  const data = allocate(options.dtype, options.values.length);
  for (let i = 0; i < options.values.length; i++) {
    const v = options.values[i] as number | bigint | boolean;
    if (data instanceof BigInt64Array) data[i] = typeof v === 'bigint' ? v : BigInt(Number(v));
    else data[i] = Number(v);
  }
  return fromData({ dtype: options.dtype, dims: options.dims, data });
}

export function full(options: { dtype: DType; dims: readonly number[]; value: number }): HostTensor {
  checkDims(options.dims);
  const data = allocate(options.dtype, sizeOf(options.dims));
  if (data instanceof BigInt64Array) data.fill(BigInt(options.value));
  else data.fill(options.value);
  return { dtype: options.dtype, dims: [...options.dims], data };
}

/** Normal(0, scale²) samples from a seeded source. */
export function randn(options: {
  dtype: 'float32' | 'float64';
  dims: readonly number[];
  rng: Rng;
  scale?: number;
}) {
  const t = full({ dtype: options.dtype, dims: options.dims, value: 0 });
  const scale = options.scale ?? 1;
  const data = t.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) data[i] = options.rng.normal() * scale;
  return t;
}

/** Uniform samples in [low, high). */
export function uniform(options: {
  dtype: 'float32' | 'float64';
  dims: readonly number[];
  rng: Rng;
  low?: number;
  high?: number;
}): HostTensor {
  const t = full({ dtype: options.dtype, dims: options.dims, value: 0 });
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  const data = t.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * options.rng.uniform();
  return t;
}

/** Random integers in [0, high) as int64, e.g. token ids. */
export function randint(options: { dims: readonly number[]; rng: Rng; high: number }): HostTensor {
  const values = Array.from({ length: sizeOf(options.dims) }, () => options.rng.int(options.high));
  return fromValues({ dtype: 'int64', dims: options.dims, values });
}

/** Elements as JS numbers (int64 converted, which is exact below 2^53). */
export function toNumbers(t: HostTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Shorthands for writing test inputs and constants. */
export const tensor = {
  f32: (dims: readonly number[], values: ArrayLike<number>) => fromValues({ dtype: 'float32', dims, values }),
  f64: (dims: readonly number[], values: ArrayLike<number>) => fromValues({ dtype: 'float64', dims, values }),
  i64: (dims: readonly number[], values: ArrayLike<number | bigint>) =>
    fromValues({ dtype: 'int64', dims, values }),
  bool: (dims: readonly number[], values: ArrayLike<boolean | number>) =>
    fromValues({ dtype: 'bool', dims, values }),
  scalar: (dtype: DType, value: number) => fromValues({ dtype, dims: [], values: [value] }),
  full,
  randn,
  uniform,
  randint,
};
