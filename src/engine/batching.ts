import { type HostTensor, tensor } from '../graph/tensor.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * Padding token sequences into rectangular batches, and selecting rows of batch-major tensors.
 * Pure functions over plain arrays and host tensors.
 */

/** Left padding (generation): row b is `[pad..., ...prompt]`, mask 0 on pads. ids/mask int64 [B, T]. */
export function leftPad(options: { sequences: readonly (readonly number[])[]; padId: number }): {
  ids: HostTensor;
  mask: HostTensor;
  width: number;
} {
  const { sequences, padId } = options;
  if (sequences.length === 0) throw new ValidationError('a batch needs at least one sequence');
  const width = Math.max(...sequences.map((s) => s.length));
  if (width === 0) throw new ValidationError('every sequence of the batch is empty');
  const ids = new BigInt64Array(sequences.length * width).fill(BigInt(padId));
  const mask = new BigInt64Array(sequences.length * width);
  sequences.forEach((s, b) => {
    const start = b * width + width - s.length;
    s.forEach((id, i) => {
      ids[start + i] = BigInt(id);
      mask[start + i] = 1n;
    });
  });
  const dims = [sequences.length, width];
  return { ids: { dtype: 'int64', dims, data: ids }, mask: { dtype: 'int64', dims, data: mask }, width };
}

/** Right padding (scoring, training): row b is `[...sequence, pad...]`. */
export function rightPad(options: {
  sequences: readonly (readonly number[])[];
  padId: number;
  width?: number;
}): {
  ids: HostTensor;
  mask: HostTensor;
  width: number;
} {
  const { sequences, padId } = options;
  if (sequences.length === 0) throw new ValidationError('a batch needs at least one sequence');
  const width = options.width ?? Math.max(...sequences.map((s) => s.length));
  const ids = new BigInt64Array(sequences.length * width).fill(BigInt(padId));
  const mask = new BigInt64Array(sequences.length * width);
  sequences.forEach((s, b) => {
    if (s.length > width)
      throw new ValidationError(`sequence ${b} has ${s.length} tokens, wider than ${width}`);
    s.forEach((id, i) => {
      ids[b * width + i] = BigInt(id);
      mask[b * width + i] = 1n;
    });
  });
  const dims = [sequences.length, width];
  return { ids: { dtype: 'int64', dims, data: ids }, mask: { dtype: 'int64', dims, data: mask }, width };
}

/** Rows `keep` (in that order) of a tensor whose first axis is the batch. */
export function selectRows(t: HostTensor, keep: readonly number[]): HostTensor {
  const [rows, ...rest] = t.dims;
  const stride = rest.reduce((a, b) => a * b, 1);
  const Ctor = t.data.constructor as new (n: number) => HostTensor['data'];
  const out = new Ctor(keep.length * stride);
  keep.forEach((r, i) => {
    if (rows === undefined || r < 0 || r >= rows)
      throw new ValidationError(`row ${r} is outside [0, ${rows})`);
    (out as Float32Array).set((t.data as Float32Array).subarray(r * stride, (r + 1) * stride), i * stride);
  });
  return { dtype: t.dtype, dims: [keep.length, ...rest], data: out };
}

/** Appends a column of ones to an int64 [B, W] mask: one more real token per row. */
export function growMask(mask: HostTensor): HostTensor {
  const [rows, width] = mask.dims as [number, number];
  const out = new BigInt64Array(rows * (width + 1));
  const data = mask.data as BigInt64Array;
  for (let b = 0; b < rows; b++) {
    out.set(data.subarray(b * width, (b + 1) * width), b * (width + 1));
    out[b * (width + 1) + width] = 1n;
  }
  return { dtype: 'int64', dims: [rows, width + 1], data: out };
}

/** An int64 [B, 1] column of token ids. */
export function tokenColumn(ids: readonly number[]): HostTensor {
  return tensor.i64([ids.length, 1], ids);
}
