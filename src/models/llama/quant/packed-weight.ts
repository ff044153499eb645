import { ValidationError } from '../../../util/errors.ts';
import { halfToFloat } from '../../gguf/float16.ts';

/**
 * A weight matrix W [rows = N, cols = K] in MatMulNBits layout: blocks of `blockSize` values along
 * K, W[n, k] = (q[n, k] - zp[n, b]) · scale[n, b] (+ min[n, b] when `mins` is present), b = k / blockSize.
 *
 * - data: uint8 [N, K/blockSize, blockSize·bits/8]; 4-bit values two per byte, the even element in
 *   the low nibble; 8-bit values one per byte.
 * - scales: float32 [N·K/blockSize].
 * - zeroPoints: uint8; 4-bit: two blocks per byte (even block in the low nibble), each row padded
 *   to whole bytes, [N·ceil(K/blockSize/2)]; 8-bit: [N·K/blockSize].
 * - mins: float32 [N·K/blockSize], only for exact Q4_1 (W = q·d + m): MatMulNBits takes integer zero
 *   points only (float ones disable its packed kernels), and m/d is rarely an integer, so what the
 *   integer zero point leaves of m is kept apart and added as Σ_b min_b · Σ_{k in b} x_k (see
 *   matmul-nbits.ts).
 */
export interface PackedWeight {
  readonly bits: 4 | 8;
  readonly blockSize: number;
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
  readonly scales: Float32Array;
  readonly zeroPoints: Uint8Array;
  readonly mins?: Float32Array;
}

/** The ggml block size of Q4_0, Q4_1 and Q8_0, and the block size packed here. */
export const BLOCK = 32;

const fr = Math.fround;

function checkShape(rows: number, cols: number, what: string, block = BLOCK): number {
  if (!Number.isInteger(rows) || rows <= 0 || cols % block !== 0) {
    throw new ValidationError(`${what}: [${rows}, ${cols}] is not a matrix of whole blocks of ${block}`);
  }
  return cols / block;
}

/** Empty arrays for a packed weight of this shape. */
function allocate(rows: number, cols: number, bits: 4 | 8, block = BLOCK) {
  const blocks = cols / block;
  return {
    data: new Uint8Array((rows * cols * bits) / 8),
    scales: new Float32Array(rows * blocks),
    zeroPoints: new Uint8Array(bits === 4 ? rows * Math.ceil(blocks / 2) : rows * blocks),
  };
}

/** Stores a 4-bit zero point of block `b` of row `n`. */
function setZeroPoint4(zp: Uint8Array, blocks: number, n: number, b: number, value: number): void {
  const at = n * Math.ceil(blocks / 2) + (b >> 1);
  zp[at] = (zp[at] as number) | (b & 1 ? value << 4 : value);
}

function zeroPoint4(zp: Uint8Array, blocks: number, n: number, b: number): number {
  const byte = zp[n * Math.ceil(blocks / 2) + (b >> 1)] as number;
  return b & 1 ? byte >> 4 : byte & 0x0f;
}

/**
 * Repacks ggml 4-bit quants: a ggml block stores element j in the low nibble of qs[j] and element
 * j + 16 in its high nibble; MatMulNBits wants elements 2i and 2i + 1 in byte i.
 */
function repackNibbles(qs: Uint8Array, at: number, out: Uint8Array, to: number): void {
  const nibble = (e: number) => (e < 16 ? (qs[at + e] as number) & 0x0f : (qs[at + e - 16] as number) >> 4);
  for (let i = 0; i < 16; i++) out[to + i] = nibble(2 * i) | (nibble(2 * i + 1) << 4);
}

function half(bytes: Uint8Array, at: number): number {
  return halfToFloat((bytes[at] as number) | ((bytes[at + 1] as number) << 8));
}

/** Q4_0 blocks (f16 d; 16 bytes of quants; W = (q - 8)·d): exact, zero point 8. */
export function packQ4_0(options: { bytes: Uint8Array; rows: number; cols: number }): PackedWeight {
  const { bytes, rows, cols } = options;
  const blocks = checkShape(rows, cols, 'Q4_0');
  const out = allocate(rows, cols, 4);
  for (let n = 0; n < rows; n++) {
    for (let b = 0; b < blocks; b++) {
      const i = n * blocks + b;
      out.scales[i] = half(bytes, i * 18);
      repackNibbles(bytes, i * 18 + 2, out.data, i * 16);
      setZeroPoint4(out.zeroPoints, blocks, n, b, 8);
    }
  }
  return { bits: 4, blockSize: BLOCK, rows, cols, ...out };
}

/**
 * Q4_1 blocks (f16 d; f16 m; 16 bytes of quants; W = q·d + m), exact: W = (q - z)·d + (m + z·d) with
 * the integer zero point z = round(-m/d) in [0, 15] and the residual m + z·d (|.| <= d/2 unless
 * clamped) as the block minimum. Both parts are exact in float32 (small integers times an f16, and a
 * sum of f16-sized terms), so (q - z)·d + min rounds to the same float32 as ggml's q·d + m.
 *
 * Why not z = 0 and min = m: with int8 activations (accuracy level 4) the activation rounding error
 * is weighted by the integer part; (q - z)·d is centred on 0 like W itself, so that error partly
 * cancels as it does in llama.cpp, whereas q·d >= 0 adds it up (measured on SmolLM2: top-1
 * agreement with float32 89% with z = 0).
 */
export function packQ4_1(options: { bytes: Uint8Array; rows: number; cols: number }): PackedWeight {
  const { bytes, rows, cols } = options;
  const blocks = checkShape(rows, cols, 'Q4_1');
  const out = allocate(rows, cols, 4);
  const mins = new Float32Array(rows * blocks);
  for (let n = 0; n < rows; n++) {
    for (let b = 0; b < blocks; b++) {
      const i = n * blocks + b;
      const d = half(bytes, i * 20);
      const m = half(bytes, i * 20 + 2);
      const z = d === 0 ? 0 : Math.min(15, Math.max(0, Math.round(-m / d)));
      out.scales[i] = d;
      mins[i] = m + z * d;
      setZeroPoint4(out.zeroPoints, blocks, n, b, z);
      repackNibbles(bytes, i * 20 + 4, out.data, i * 16);
    }
  }
  return { bits: 4, blockSize: BLOCK, rows, cols, ...out, mins };
}

/** Q8_0 blocks (f16 d; 32 signed bytes; W = q·d): exact as unsigned bytes q + 128 with zero point 128. */
export function packQ8_0(options: { bytes: Uint8Array; rows: number; cols: number }): PackedWeight {
  const { bytes, rows, cols } = options;
  const blocks = checkShape(rows, cols, 'Q8_0');
  const out = allocate(rows, cols, 8);
  out.zeroPoints.fill(128);
  for (let i = 0; i < rows * blocks; i++) {
    out.scales[i] = half(bytes, i * 34);
    for (let j = 0; j < 32; j++) out.data[i * 32 + j] = ((bytes[i * 34 + 2 + j] as number) + 128) & 0xff;
  }
  return { bits: 8, blockSize: BLOCK, rows, cols, ...out };
}

/**
 * Float weights W [rows, cols] to 4-bit blocks, asymmetric with an integer zero point: the block's
 * range [min(0, lo), max(0, hi)] in 15 steps (0 is always representable, so the zero point stays in
 * [0, 15]), each value rounded to the nearest step. Error per value at most half a step.
 */
export function quantizeQ4(options: {
  weight: Float32Array;
  rows: number;
  cols: number;
  /** Values per block (default 32; MatMulNBits takes powers of two from 16 to 256). */
  blockSize?: number;
}): PackedWeight {
  const { weight, rows, cols } = options;
  const size = options.blockSize ?? BLOCK;
  const blocks = checkShape(rows, cols, 'quantizeQ4', size);
  const out = allocate(rows, cols, 4, size);
  const q = new Uint8Array(size);
  for (let n = 0; n < rows; n++) {
    for (let b = 0; b < blocks; b++) {
      const base = n * cols + b * size;
      let lo = 0;
      let hi = 0;
      for (let j = 0; j < size; j++) {
        const v = weight[base + j] as number;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const scale = fr((hi - lo) / 15);
      const zp = scale === 0 ? 8 : Math.min(15, Math.max(0, Math.round(-lo / scale)));
      for (let j = 0; j < size; j++) {
        const v = weight[base + j] as number;
        q[j] = scale === 0 ? zp : Math.min(15, Math.max(0, Math.round(v / scale) + zp));
      }
      const i = n * blocks + b;
      out.scales[i] = scale;
      setZeroPoint4(out.zeroPoints, blocks, n, b, zp);
      for (let j = 0; j < size / 2; j++) {
        out.data[(i * size) / 2 + j] = (q[2 * j] as number) | ((q[2 * j + 1] as number) << 4);
      }
    }
  }
  return { bits: 4, blockSize: size, rows, cols, ...out };
}

/** Float weights to symmetric 8-bit blocks (scale = max|w| / 127, zero point 128). */
export function quantizeQ8(options: { weight: Float32Array; rows: number; cols: number }): PackedWeight {
  const { weight, rows, cols } = options;
  const blocks = checkShape(rows, cols, 'quantizeQ8');
  const out = allocate(rows, cols, 8);
  out.zeroPoints.fill(128);
  for (let i = 0; i < rows * blocks; i++) {
    let amax = 0;
    for (let j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(weight[i * BLOCK + j] as number));
    const scale = fr(amax / 127);
    out.scales[i] = scale;
    for (let j = 0; j < BLOCK; j++) {
      const v = weight[i * BLOCK + j] as number;
      out.data[i * BLOCK + j] = scale === 0 ? 128 : Math.round(v / scale) + 128;
    }
  }
  return { bits: 8, blockSize: BLOCK, rows, cols, ...out };
}

/** The float32 matrix a packed weight stands for (rounded as ggml dequantises), [rows, cols]. */
export function dequantizePacked(p: PackedWeight): Float32Array {
  const blocks = p.cols / p.blockSize;
  const out = new Float32Array(p.rows * p.cols);
  for (let n = 0; n < p.rows; n++) {
    for (let b = 0; b < blocks; b++) {
      const i = n * blocks + b;
      const scale = p.scales[i] as number;
      const zp = p.bits === 4 ? zeroPoint4(p.zeroPoints, blocks, n, b) : (p.zeroPoints[i] as number);
      const min = p.mins?.[i];
      for (let j = 0; j < p.blockSize; j++) {
        const q =
          p.bits === 4
            ? ((p.data[(i * p.blockSize + j) >> 1] as number) >> (j & 1 ? 4 : 0)) & 0x0f
            : (p.data[i * p.blockSize + j] as number);
        const w = min === undefined ? fr((q - zp) * scale) : fr(fr((q - zp) * scale) + min);
        out[n * p.cols + b * p.blockSize + j] = w;
      }
    }
  }
  return out;
}
