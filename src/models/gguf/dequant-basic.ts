import { bf16ToFloat, halfToFloat } from './float16.ts';
import type { BlockDecoder } from './block-decoder.ts';

/**
 * Decoders for the plain float types and the 32-element block quantisations (ggml-common.h).
 * Arithmetic is rounded to float32 after every operation (Math.fround) to match ggml's C code.
 */
const fr = Math.fround;

function half(bytes: Uint8Array, at: number): number {
  return halfToFloat(bytes[at]! | (bytes[at + 1]! << 8));
}

const f32: BlockDecoder = {
  typeName: 'F32',
  decode({ bytes, out, blockCount }) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < blockCount; i++) out[i] = view.getFloat32(i * 4, true);
  },
};

const f16: BlockDecoder = {
  typeName: 'F16',
  decode({ bytes, out, blockCount }) {
    for (let i = 0; i < blockCount; i++) out[i] = half(bytes, i * 2);
  },
};

const bf16: BlockDecoder = {
  typeName: 'BF16',
  decode({ bytes, out, blockCount }) {
    for (let i = 0; i < blockCount; i++) out[i] = bf16ToFloat(bytes[i * 2]! | (bytes[i * 2 + 1]! << 8));
  },
};

/** Q4_0, 18 bytes: f16 d; u8 qs[16]. y[j] = (lo(qs[j]) - 8)·d, y[j+16] = (hi(qs[j]) - 8)·d. */
const q4_0: BlockDecoder = {
  typeName: 'Q4_0',
  decode({ bytes, out, blockCount }) {
    for (let b = 0; b < blockCount; b++) {
      const base = b * 18;
      const d = half(bytes, base);
      const y = b * 32;
      for (let j = 0; j < 16; j++) {
        const q = bytes[base + 2 + j]!;
        out[y + j] = fr(((q & 0x0f) - 8) * d);
        out[y + j + 16] = fr(((q >> 4) - 8) * d);
      }
    }
  },
};

/** Q4_1, 20 bytes: f16 d; f16 m; u8 qs[16]. y[j] = lo(qs[j])·d + m, y[j+16] = hi(qs[j])·d + m. */
const q4_1: BlockDecoder = {
  typeName: 'Q4_1',
  decode({ bytes, out, blockCount }) {
    for (let b = 0; b < blockCount; b++) {
      const base = b * 20;
      const d = half(bytes, base);
      const m = half(bytes, base + 2);
      const y = b * 32;
      for (let j = 0; j < 16; j++) {
        const q = bytes[base + 4 + j]!;
        out[y + j] = fr(fr((q & 0x0f) * d) + m);
        out[y + j + 16] = fr(fr((q >> 4) * d) + m);
      }
    }
  },
};

/** Q8_0, 34 bytes: f16 d; i8 qs[32]. y[j] = qs[j]·d. */
const q8_0: BlockDecoder = {
  typeName: 'Q8_0',
  decode({ bytes, out, blockCount }) {
    for (let b = 0; b < blockCount; b++) {
      const base = b * 34;
      const d = half(bytes, base);
      const y = b * 32;
      for (let j = 0; j < 32; j++) {
        const q = (bytes[base + 2 + j]! << 24) >> 24; // sign-extend the byte
        out[y + j] = fr(q * d);
      }
    }
  },
};

export const BASIC_DECODERS: readonly BlockDecoder[] = [f32, f16, bf16, q4_0, q4_1, q8_0];
