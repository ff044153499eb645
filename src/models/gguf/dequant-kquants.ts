import type { BlockDecoder } from './block-decoder.ts';
import { halfToFloat } from './float16.ts';

/**
 * Decoders for the 256-element "K" super-blocks (ggml-common.h, dequantize_row_q*_K in ggml-quants.c).
 * Arithmetic is rounded to float32 after every operation to match the C code.
 */
const fr = Math.fround;

function half(bytes: Uint8Array, at: number): number {
  return halfToFloat(bytes[at]! | (bytes[at + 1]! << 8));
}

/**
 * The 6-bit scale and min of sub-block j (0-7) from Q4_K's 12 packed bytes: sub-blocks 0-3 keep them
 * in the low 6 bits of bytes j and j+4; sub-blocks 4-7 take 4 low bits from byte j+4 and their top two
 * bits from the spare high bits of bytes j-4 (scale) and j (min).
 */
export function q4kScaleMin(scales: Uint8Array, j: number): { scale: number; min: number } {
  if (j < 4) return { scale: scales[j]! & 63, min: scales[j + 4]! & 63 };
  return {
    scale: (scales[j + 4]! & 0x0f) | ((scales[j - 4]! >> 6) << 4),
    min: (scales[j + 4]! >> 4) | ((scales[j]! >> 6) << 4),
  };
}

/**
 * Q4_K, 144 bytes: f16 d; f16 dmin; u8 scales[12]; u8 qs[128]. Eight sub-blocks of 32 with 6-bit
 * scale sc and min m: y = d·sc·q − dmin·m. Each 32 bytes of qs hold two sub-blocks: low nibbles the
 * first, high nibbles the second.
 */
const q4_k: BlockDecoder = {
  typeName: 'Q4_K',
  decode({ bytes, out, blockCount }) {
    for (let b = 0; b < blockCount; b++) {
      const base = b * 144;
      const d = half(bytes, base);
      const dmin = half(bytes, base + 2);
      const scales = bytes.subarray(base + 4, base + 16);
      const qs = base + 16;
      let y = b * 256;
      for (let chunk = 0; chunk < 4; chunk++) {
        const first = q4kScaleMin(scales, chunk * 2);
        const second = q4kScaleMin(scales, chunk * 2 + 1);
        const d1 = fr(d * first.scale);
        const m1 = fr(dmin * first.min);
        const d2 = fr(d * second.scale);
        const m2 = fr(dmin * second.min);
        const q = qs + chunk * 32;
        for (let l = 0; l < 32; l++) out[y + l] = fr(fr(d1 * (bytes[q + l]! & 0x0f)) - m1);
        for (let l = 0; l < 32; l++) out[y + 32 + l] = fr(fr(d2 * (bytes[q + l]! >> 4)) - m2);
        y += 64;
      }
    }
  },
};

/**
 * Q6_K, 210 bytes: u8 ql[128] (low 4 bits); u8 qh[64] (high 2 bits); i8 scales[16]; f16 d.
 * y = d·scale·(q − 32), 16 sub-blocks of 16 values. Per 128-value half, byte l of ql/qh serves the
 * values l, l+32, l+64 and l+96.
 */
const q6_k: BlockDecoder = {
  typeName: 'Q6_K',
  decode({ bytes, out, blockCount }) {
    for (let b = 0; b < blockCount; b++) {
      const base = b * 210;
      const d = half(bytes, base + 208);
      for (let h = 0; h < 2; h++) {
        const ql = base + h * 64;
        const qh = base + 128 + h * 32;
        const sc = base + 192 + h * 8;
        const y = b * 256 + h * 128;
        for (let l = 0; l < 32; l++) {
          const is = l >> 4;
          const low0 = bytes[ql + l]!;
          const low32 = bytes[ql + l + 32]!;
          const high = bytes[qh + l]!;
          const q1 = ((low0 & 0x0f) | ((high & 3) << 4)) - 32;
          const q2 = ((low32 & 0x0f) | (((high >> 2) & 3) << 4)) - 32;
          const q3 = ((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32;
          const q4 = ((low32 >> 4) | (((high >> 6) & 3) << 4)) - 32;
          out[y + l] = fr(fr(d * signedByte(bytes[sc + is]!)) * q1);
          out[y + l + 32] = fr(fr(d * signedByte(bytes[sc + is + 2]!)) * q2);
          out[y + l + 64] = fr(fr(d * signedByte(bytes[sc + is + 4]!)) * q3);
          out[y + l + 96] = fr(fr(d * signedByte(bytes[sc + is + 6]!)) * q4);
        }
      }
    }
  },
};

function signedByte(v: number): number {
  return (v << 24) >> 24;
}

export const KQUANT_DECODERS: readonly BlockDecoder[] = [q4_k, q6_k];
