import type { HostTensor } from '../graph/tensor.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * Padding token sequences into rectangular batches (scoring and training). Pure.
 */

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
