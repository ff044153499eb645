import type { HostTensor } from '../graph/tensor.ts';
import { ValidationError } from '../util/errors.ts';
import { rightPad } from './batching.ts';

/** A prompt and its response as token ids (the response may end with a stop token). */
export interface PromptResponse {
  readonly promptIds: readonly number[];
  readonly responseIds: readonly number[];
}

/**
 * A right-padded batch of prompt + response sequences with a loss mask over response tokens.
 * Position t of row b holds token t; a per-token quantity for response token i of sequence b sits
 * at t = promptLength + i (the log-prob graphs align their outputs the same way).
 */
export interface ScoredBatch {
  readonly ids: HostTensor;
  readonly mask: HostTensor;
  /** float32 [B, T]: 1 on response tokens. */
  readonly lossMask: HostTensor;
  readonly width: number;
  /** Response tokens in the batch. */
  readonly responseTokens: number;
}

export function scoredBatch(options: { sequences: readonly PromptResponse[]; padId: number }): ScoredBatch {
  const { sequences } = options;
  sequences.forEach((s, i) => {
    if (s.promptIds.length === 0) throw new ValidationError(`sequence ${i}: the prompt is empty`);
  });
  const { ids, mask, width } = rightPad({
    sequences: sequences.map((s) => [...s.promptIds, ...s.responseIds]),
    padId: options.padId,
  });
  const loss = new Float32Array(sequences.length * width);
  let responseTokens = 0;
  sequences.forEach((s, b) => {
    loss.fill(1, b * width + s.promptIds.length, b * width + s.promptIds.length + s.responseIds.length);
    responseTokens += s.responseIds.length;
  });
  return {
    ids,
    mask,
    lossMask: { dtype: 'float32', dims: [sequences.length, width], data: loss },
    width,
    responseTokens,
  };
}

/** Per-response-token values placed at their positions in a [B, T] float32 tensor (0 elsewhere). */
export function placeResponseValues(options: {
  sequences: readonly PromptResponse[];
  values: readonly (readonly number[])[];
  width: number;
  what: string;
}): HostTensor {
  const { sequences, values, width } = options;
  const out = new Float32Array(sequences.length * width);
  sequences.forEach((s, b) => {
    const row = values[b];
    if (row === undefined || row.length !== s.responseIds.length) {
      throw new ValidationError(
        `${options.what}[${b}] has ${row?.length ?? 0} values for ${s.responseIds.length} response tokens`,
      );
    }
    row.forEach((v, i) => {
      out[b * width + s.promptIds.length + i] = v;
    });
  });
  return { dtype: 'float32', dims: [sequences.length, width], data: out };
}

/** The response-token entries of a [B, T] tensor, per sequence. */
export function readResponseValues(options: {
  sequences: readonly PromptResponse[];
  tensor: HostTensor;
}): number[][] {
  const { sequences, tensor } = options;
  const width = tensor.dims[1] as number;
  const data = tensor.data as Float32Array;
  return sequences.map((s, b) => {
    const start = b * width + s.promptIds.length;
    return Array.from(data.subarray(start, start + s.responseIds.length));
  });
}

/** Consecutive slices of at most `size` items. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
