import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { q4kScaleMin } from './dequant-kquants.ts';
import { dequantize, supportedGgmlTypes } from './dequantize.ts';
import { ggmlTypeByName } from './ggml-types.ts';

// Expected values are computed here from the block definitions in ggml-common.h, with scales chosen
// so every product is exact in float32: outputs must match bit for bit.

const HALF = { one: 0x3c00, half: 0x3800, quarter: 0x3400, two: 0x4000, minusOneAndHalf: 0xbe00 };

function run(typeName: string, bytes: number[], elementCount: number): Float32Array {
  return dequantize({
    type: ggmlTypeByName(typeName),
    bytes: Uint8Array.from(bytes),
    elementCount,
    source: 'test',
  });
}

function le16(v: number): number[] {
  return [v & 0xff, v >> 8];
}

describe('dequantize', () => {
  it('F32 and F16 and BF16 decode raw little-endian values', () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -2.25, 3e-8]).buffer);
    assert.deepEqual([...run('F32', [...f32], 3)], [...new Float32Array([1.5, -2.25, 3e-8])]);
    assert.deepEqual([...run('F16', [...le16(HALF.one), ...le16(HALF.minusOneAndHalf)], 2)], [1, -1.5]);
    assert.deepEqual([...run('BF16', [0x80, 0x3f, 0xa0, 0xc0], 2)], [1, -5]);
  });

  it('Q4_0: y[j] = (lo(qs[j]) - 8)·d, y[j+16] = (hi(qs[j]) - 8)·d', () => {
    const blocks: number[] = [];
    const expected: number[] = [];
    for (const [dBits, d] of [
      [HALF.half, 0.5],
      [HALF.two, 2],
    ] as const) {
      const qs = Array.from({ length: 16 }, (_, j) => j | ((15 - j) << 4));
      blocks.push(...le16(dBits), ...qs);
      const y = new Array<number>(32);
      for (let j = 0; j < 16; j++) {
        y[j] = (j - 8) * d;
        y[j + 16] = (15 - j - 8) * d;
      }
      expected.push(...y);
    }
    assert.deepEqual([...run('Q4_0', blocks, 64)], expected);
  });

  it('Q4_1: y[j] = lo(qs[j])·d + m, y[j+16] = hi(qs[j])·d + m', () => {
    const qs = Array.from({ length: 16 }, (_, j) => j | (((j + 1) % 16) << 4));
    const bytes = [...le16(HALF.quarter), ...le16(HALF.minusOneAndHalf), ...qs];
    const expected = new Array<number>(32);
    for (let j = 0; j < 16; j++) {
      expected[j] = j * 0.25 - 1.5;
      expected[j + 16] = ((j + 1) % 16) * 0.25 - 1.5;
    }
    assert.deepEqual([...run('Q4_1', bytes, 32)], expected);
  });

  it('Q8_0: y[j] = qs[j]·d with signed bytes', () => {
    const first = Array.from({ length: 32 }, (_, j) => 8 * j - 128); // -128 .. 120
    const second = Array.from({ length: 32 }, (_, j) => 127 - 8 * j); // 127 .. -121
    const bytes = [
      ...le16(HALF.two),
      ...first.map((v) => v & 0xff),
      ...le16(HALF.half),
      ...second.map((v) => v & 0xff),
    ];
    const expected = [...first.map((v) => v * 2), ...second.map((v) => v * 0.5)];
    assert.deepEqual([...run('Q8_0', bytes, 64)], expected);
  });

  it('Q4_K scale/min unpacking reads the 6-bit fields at the documented bits', () => {
    // Bytes 0-3: low 6 bits scales 0-3, top 2 bits high part of scales 4-7.
    // Bytes 4-7: low 6 bits mins 0-3, top 2 bits high part of mins 4-7.
    // Bytes 8-11: low nibble low part of scales 4-7, high nibble low part of mins 4-7.
    const scales = Uint8Array.from([
      0b11_000001, 0b00_000010, 0b01_111111, 0b10_000000, 0b00_000101, 0b11_000110, 0b00_000111, 0b01_001000,
      0x21, 0x43, 0x65, 0x87,
    ]);
    assert.deepEqual(q4kScaleMin(scales, 0), { scale: 1, min: 5 });
    assert.deepEqual(q4kScaleMin(scales, 2), { scale: 63, min: 7 });
    assert.deepEqual(q4kScaleMin(scales, 3), { scale: 0, min: 8 });
    // j=4: scale = (0x21 & 15) | (byte0 >> 6) << 4 = 1 | 48; min = (0x21 >> 4) | (byte4 >> 6) << 4 = 2.
    assert.deepEqual(q4kScaleMin(scales, 4), { scale: 49, min: 2 });
    // j=5: scale = 3 | 0 << 4; min = 4 | 3 << 4 = 52.
    assert.deepEqual(q4kScaleMin(scales, 5), { scale: 3, min: 52 });
    // j=6: scale = 5 | 1 << 4 = 21; min = 6 | 0 = 6.
    assert.deepEqual(q4kScaleMin(scales, 6), { scale: 21, min: 6 });
    // j=7: scale = 7 | 2 << 4 = 39; min = 8 | 1 << 4 = 24.
    assert.deepEqual(q4kScaleMin(scales, 7), { scale: 39, min: 24 });
  });

  it('Q4_K: eight sub-blocks of 32, y = d·sc·q − dmin·m', () => {
    const sc = [1, 2, 3, 4, 33, 50, 63, 17];
    const mn = [5, 6, 7, 8, 40, 9, 62, 0];
    const packed = new Array<number>(12).fill(0);
    for (let j = 0; j < 4; j++) {
      packed[j] = sc[j]! | ((sc[j + 4]! >> 4) << 6);
      packed[j + 4] = mn[j]! | ((mn[j + 4]! >> 4) << 6);
      packed[j + 8] = (sc[j + 4]! & 15) | ((mn[j + 4]! & 15) << 4);
    }
    const qs = Array.from({ length: 128 }, (_, i) => (i * 7 + 3) & 0xff);
    const d = 1;
    const dmin = 0.5;
    const bytes = [...le16(HALF.one), ...le16(HALF.half), ...packed, ...qs];
    const expected = new Array<number>(256);
    for (let sub = 0; sub < 8; sub++) {
      const byteBase = Math.floor(sub / 2) * 32;
      for (let l = 0; l < 32; l++) {
        const byte = qs[byteBase + l]!;
        const q = sub % 2 === 0 ? byte & 15 : byte >> 4;
        expected[sub * 32 + l] = d * sc[sub]! * q - dmin * mn[sub]!;
      }
    }
    assert.deepEqual([...run('Q4_K', bytes, 256)], expected);
  });

  it('Q6_K: 16 sub-blocks of 16 with signed scales, y = d·scale·(q − 32)', () => {
    const q = Array.from({ length: 256 }, (_, i) => (i * 37 + 11) % 64);
    const scales = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? i + 1 : -(i + 1)));
    const ql = new Array<number>(128).fill(0);
    const qh = new Array<number>(64).fill(0);
    for (let i = 0; i < 256; i++) {
      const h = Math.floor(i / 128);
      const n = i % 128;
      const quarter = Math.floor(n / 32); // which of the four values sharing byte l
      const l = n % 32;
      const low = q[i]! & 15;
      const high = q[i]! >> 4;
      const qlIndex = h * 64 + l + (quarter % 2 === 1 ? 32 : 0);
      ql[qlIndex] = ql[qlIndex]! | (quarter < 2 ? low : low << 4);
      qh[h * 32 + l] = qh[h * 32 + l]! | (high << (2 * quarter));
    }
    const bytes = [...ql, ...qh, ...scales.map((s) => s & 0xff), ...le16(HALF.quarter)];
    const expected = q.map((v, i) => 0.25 * scales[i >> 4]! * (v - 32));
    assert.deepEqual([...run('Q6_K', bytes, 256)], expected);
  });

  it('names the supported types when asked for another', () => {
    assert.deepEqual(supportedGgmlTypes(), ['F32', 'F16', 'Q4_0', 'Q4_1', 'Q8_0', 'Q4_K', 'Q6_K', 'BF16']);
    assert.throws(
      () =>
        dequantize({
          type: ggmlTypeByName('Q5_0'),
          bytes: new Uint8Array(22),
          elementCount: 32,
          source: "f.gguf: tensor 'x'",
        }),
      /f\.gguf: tensor 'x': unsupported quantisation type Q5_0 .*supported: F32, F16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K, BF16/,
    );
  });

  it('rejects data shorter than the element count needs', () => {
    assert.throws(
      () => run('Q8_0', new Array(33).fill(0), 32),
      /expected 34 bytes of Q8_0 data for 32 elements, found 33/,
    );
  });
});

describe('dequantize against gguf-py', () => {
  // Random blocks decoded by the gguf PyPI package (an independent implementation), stored as a
  // fixture: our decoders must reproduce its float32 outputs bit for bit.
  const fixture = JSON.parse(
    readFileSync(new URL('./fixtures/gguf-py-dequant.json', import.meta.url), 'utf8'),
  ) as { cases: { type: string; elements: number; bytes: string; expected: string }[] };

  for (const c of fixture.cases) {
    it(`${c.type}: ${c.elements} values from random blocks`, () => {
      const bytes = new Uint8Array(Buffer.from(c.bytes, 'base64'));
      const expectedBytes = Buffer.from(c.expected, 'base64');
      const expected = new Float32Array(expectedBytes.buffer, expectedBytes.byteOffset, c.elements);
      const ours = dequantize({
        type: ggmlTypeByName(c.type),
        bytes,
        elementCount: c.elements,
        source: 'fixture',
      });
      assert.deepEqual(ours, Float32Array.from(expected));
    });
  }
});
