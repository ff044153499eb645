import { ValidationError } from '../../util/errors.ts';
import { BASIC_DECODERS } from './dequant-basic.ts';
import { KQUANT_DECODERS } from './dequant-kquants.ts';
import type { BlockDecoder } from './block-decoder.ts';
import { type GgmlTypeTraits, ggmlByteLength, ggmlTypeByName } from './ggml-types.ts';

const REGISTRY = new Map<number, { traits: GgmlTypeTraits; decoder: BlockDecoder }>();

/** Add a decoder for a ggml type; a type registered twice is a programming error. */
export function registerBlockDecoder(decoder: BlockDecoder): void {
  const traits = ggmlTypeByName(decoder.typeName);
  if (REGISTRY.has(traits.id)) throw new Error(`a decoder for ${traits.name} is already registered`);
  REGISTRY.set(traits.id, { traits, decoder });
}

for (const decoder of [...BASIC_DECODERS, ...KQUANT_DECODERS]) registerBlockDecoder(decoder);

/** Names of the types that can be dequantised, in ggml id order. */
export function supportedGgmlTypes(): string[] {
  return [...REGISTRY.entries()].sort(([a], [b]) => a - b).map(([, e]) => e.traits.name);
}

/**
 * Dequantise `elementCount` values of `type` from `bytes` into a new Float32Array. `source` names the
 * file and tensor for error messages.
 */
export function dequantize(options: {
  type: GgmlTypeTraits;
  bytes: Uint8Array;
  elementCount: number;
  source: string;
}): Float32Array {
  const { type, bytes, elementCount, source } = options;
  const entry = REGISTRY.get(type.id);
  if (entry === undefined) {
    throw new ValidationError(
      `${source}: unsupported quantisation type ${type.name} (ggml type ${type.id}); supported: ${supportedGgmlTypes().join(', ')}`,
    );
  }
  if (elementCount % type.blockElements !== 0) {
    throw new ValidationError(
      `${source}: ${elementCount} elements is not a whole number of ${type.name} blocks of ${type.blockElements}`,
    );
  }
  const expected = ggmlByteLength({ traits: type, elements: elementCount });
  if (bytes.byteLength < expected) {
    throw new ValidationError(
      `${source}: expected ${expected} bytes of ${type.name} data for ${elementCount} elements, found ${bytes.byteLength}`,
    );
  }
  const out = new Float32Array(elementCount);
  entry.decoder.decode({ bytes, out, blockCount: elementCount / type.blockElements });
  return out;
}
