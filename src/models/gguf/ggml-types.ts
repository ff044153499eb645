import { UnknownNameError } from '../../util/errors.ts';

/**
 * ggml tensor storage types as numbered in ggml.h. A type stores its elements in blocks along the
 * fastest dimension (ne[0]); `blockElements` values take `blockBytes` bytes. The table lists every
 * type a GGUF file may declare, so byte ranges can be checked even for tensors we cannot dequantise.
 */
export interface GgmlTypeTraits {
  readonly id: number;
  readonly name: string;
  readonly blockElements: number;
  readonly blockBytes: number;
}

const TYPES: readonly GgmlTypeTraits[] = [
  { id: 0, name: 'F32', blockElements: 1, blockBytes: 4 },
  { id: 1, name: 'F16', blockElements: 1, blockBytes: 2 },
  { id: 2, name: 'Q4_0', blockElements: 32, blockBytes: 18 },
  { id: 3, name: 'Q4_1', blockElements: 32, blockBytes: 20 },
  { id: 6, name: 'Q5_0', blockElements: 32, blockBytes: 22 },
  { id: 7, name: 'Q5_1', blockElements: 32, blockBytes: 24 },
  { id: 8, name: 'Q8_0', blockElements: 32, blockBytes: 34 },
  { id: 9, name: 'Q8_1', blockElements: 32, blockBytes: 36 },
  { id: 10, name: 'Q2_K', blockElements: 256, blockBytes: 84 },
  { id: 11, name: 'Q3_K', blockElements: 256, blockBytes: 110 },
  { id: 12, name: 'Q4_K', blockElements: 256, blockBytes: 144 },
  { id: 13, name: 'Q5_K', blockElements: 256, blockBytes: 176 },
  { id: 14, name: 'Q6_K', blockElements: 256, blockBytes: 210 },
  { id: 15, name: 'Q8_K', blockElements: 256, blockBytes: 292 },
  { id: 16, name: 'IQ2_XXS', blockElements: 256, blockBytes: 66 },
  { id: 17, name: 'IQ2_XS', blockElements: 256, blockBytes: 74 },
  { id: 18, name: 'IQ3_XXS', blockElements: 256, blockBytes: 98 },
  { id: 19, name: 'IQ1_S', blockElements: 256, blockBytes: 50 },
  { id: 20, name: 'IQ4_NL', blockElements: 32, blockBytes: 18 },
  { id: 21, name: 'IQ3_S', blockElements: 256, blockBytes: 110 },
  { id: 22, name: 'IQ2_S', blockElements: 256, blockBytes: 82 },
  { id: 23, name: 'IQ4_XS', blockElements: 256, blockBytes: 136 },
  { id: 24, name: 'I8', blockElements: 1, blockBytes: 1 },
  { id: 25, name: 'I16', blockElements: 1, blockBytes: 2 },
  { id: 26, name: 'I32', blockElements: 1, blockBytes: 4 },
  { id: 27, name: 'I64', blockElements: 1, blockBytes: 8 },
  { id: 28, name: 'F64', blockElements: 1, blockBytes: 8 },
  { id: 29, name: 'IQ1_M', blockElements: 256, blockBytes: 56 },
  { id: 30, name: 'BF16', blockElements: 1, blockBytes: 2 },
  { id: 34, name: 'TQ1_0', blockElements: 256, blockBytes: 54 },
  { id: 35, name: 'TQ2_0', blockElements: 256, blockBytes: 66 },
  { id: 39, name: 'MXFP4', blockElements: 32, blockBytes: 17 },
];

const BY_ID = new Map(TYPES.map((t) => [t.id, t]));
const BY_NAME = new Map(TYPES.map((t) => [t.name, t]));

/** ggml type ids by name, for code that names a type (`GGML_TYPE.Q4_1`). */
export const GGML_TYPE = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q8_0: 8,
  Q4_K: 12,
  Q6_K: 14,
  BF16: 30,
} as const;

export function ggmlTypeById(id: number): GgmlTypeTraits | undefined {
  return BY_ID.get(id);
}

export function ggmlTypeByName(name: string): GgmlTypeTraits {
  const traits = BY_NAME.get(name);
  if (traits === undefined) throw new UnknownNameError('ggml type', name, [...BY_NAME.keys()]);
  return traits;
}

/** Bytes taken by `elements` values of a type; the row length must be a whole number of blocks. */
export function ggmlByteLength(options: { traits: GgmlTypeTraits; elements: number }): number {
  const { traits, elements } = options;
  return (elements / traits.blockElements) * traits.blockBytes;
}
