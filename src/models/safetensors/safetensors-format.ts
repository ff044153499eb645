import { z } from 'zod';
import { UnknownNameError } from '../../util/errors.ts';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from '../gguf/float16.ts';

/**
 * The safetensors layout: u64 little-endian header length N, N bytes of JSON, then the tensor bytes.
 * The JSON maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the end of the header) and may hold `__metadata__`, a string → string map.
 */
export const SafetensorsEntrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});
export type SafetensorsEntry = z.infer<typeof SafetensorsEntrySchema>;
export const SafetensorsMetadataSchema = z.record(z.string(), z.string());

/** Bytes per element of every dtype the format defines; float conversion only for some. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

interface FloatCodec {
  decode(bytes: Uint8Array, count: number): Float32Array;
  encode(values: Float32Array): Uint8Array;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function codec16(toFloat: (bits: number) => number, fromFloat: (v: number) => number): FloatCodec {
  return {
    decode(bytes, count) {
      const v = view(bytes);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = toFloat(v.getUint16(i * 2, true));
      return out;
    },
    encode(values) {
      const out = new Uint8Array(values.length * 2);
      const v = view(out);
      for (let i = 0; i < values.length; i++) v.setUint16(i * 2, fromFloat(values[i]!), true);
      return out;
    },
  };
}

/** Float dtypes that convert to and from Float32Array. */
const FLOAT_CODECS: ReadonlyMap<string, FloatCodec> = new Map([
  [
    'F32',
    {
      decode(bytes, count) {
        const v = view(bytes);
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = v.getFloat32(i * 4, true);
        return out;
      },
      encode(values) {
        return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
      },
    },
  ],
  ['F16', codec16(halfToFloat, floatToHalf)],
  ['BF16', codec16(bf16ToFloat, floatToBf16)],
]);

export type SafetensorsFloatDtype = 'F32' | 'F16' | 'BF16';

export function floatCodec(dtype: string): FloatCodec {
  const codec = FLOAT_CODECS.get(dtype);
  if (codec === undefined)
    throw new UnknownNameError('safetensors float dtype', dtype, [...FLOAT_CODECS.keys()]);
  return codec;
}
