import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, type Rng } from '../../../graph/random.ts';
import { dequantize } from '../../gguf/dequantize.ts';
import { floatToHalf } from '../../gguf/float16.ts';
import { ggmlTypeByName } from '../../gguf/ggml-types.ts';
import { dequantizePacked, packQ4_0, packQ4_1, packQ8_0, quantizeQ4, quantizeQ8 } from './packed-weight.ts';

const ROWS = 6;
const COLS = 96; // three blocks per row: an odd count, so 4-bit zero points pad each row

/** Random ggml blocks: f16 scale (and min) fields followed by random quant bytes. */
function randomBlocks(options: { rng: Rng; halves: number; quantBytes: number; count: number }): Uint8Array {
  const { rng, halves, quantBytes, count } = options;
  const size = 2 * halves + quantBytes;
  const out = new Uint8Array(size * count);
  for (let b = 0; b < count; b++) {
    for (let h = 0; h < halves; h++) {
      const bits = floatToHalf((rng.uniform() - (h === 1 ? 1 : 0)) * 0.1);
      out[b * size + 2 * h] = bits & 0xff;
      out[b * size + 2 * h + 1] = bits >> 8;
    }
    for (let j = 0; j < quantBytes; j++) out[b * size + 2 * halves + j] = rng.int(256);
  }
  return out;
}

function ggml(type: string, bytes: Uint8Array): Float32Array {
  return dequantize({ type: ggmlTypeByName(type), bytes, elementCount: ROWS * COLS, source: 'test' });
}

describe('packing ggml blocks for MatMulNBits', () => {
  const rng = createRng(5);
  const count = (ROWS * COLS) / 32;
  const cases = [
    { type: 'Q4_0', pack: packQ4_0, halves: 1, quantBytes: 16 },
    { type: 'Q4_1', pack: packQ4_1, halves: 2, quantBytes: 16 },
    { type: 'Q8_0', pack: packQ8_0, halves: 1, quantBytes: 32 },
  ];
  for (const c of cases) {
    it(`${c.type}: the packed weight stands for exactly the values ggml dequantises`, () => {
      const bytes = randomBlocks({ rng, halves: c.halves, quantBytes: c.quantBytes, count });
      const packed = c.pack({ bytes, rows: ROWS, cols: COLS });
      assert.equal(packed.data.length, (ROWS * COLS * packed.bits) / 8);
      assert.equal(packed.zeroPoints.length, packed.bits === 4 ? ROWS * 2 : ROWS * 3);
      assert.deepEqual(dequantizePacked(packed), ggml(c.type, bytes));
    });
  }

  it('Q4_1: integer zero point round(-m/d), the residual of m kept as the block minimum', () => {
    const bytes = randomBlocks({ rng, halves: 2, quantBytes: 16, count });
    const packed = packQ4_1({ bytes, rows: ROWS, cols: COLS });
    const mins = packed.mins;
    assert.ok(mins !== undefined && mins.length === ROWS * 3);
    for (let i = 0; i < mins.length; i++) {
      const d = packed.scales[i] as number;
      const [row, block] = [Math.floor(i / 3), i % 3];
      const z = ((packed.zeroPoints[row * 2 + (block >> 1)] as number) >> (block & 1 ? 4 : 0)) & 15;
      if (z > 0 && z < 15) assert.ok(Math.abs(mins[i] as number) <= d / 2, `block ${i}`);
    }
  });

  it('refuses a row length that is not whole blocks', () => {
    assert.throws(() => packQ4_0({ bytes: new Uint8Array(18), rows: 1, cols: 40 }), /whole blocks of 32/);
  });
});

describe('quantising float weights', () => {
  const rng = createRng(9);
  const weight = new Float32Array(ROWS * COLS).map(() => rng.normal() * 0.05);

  it('4-bit: every value within half a step of its block, exact zeros stay zero', () => {
    weight[7] = 0;
    for (const blockSize of [32, 16]) {
      const packed = quantizeQ4({ weight, rows: ROWS, cols: COLS, blockSize });
      const back = dequantizePacked(packed);
      for (let i = 0; i < weight.length; i++) {
        const step = packed.scales[Math.floor(i / blockSize)] as number;
        assert.ok(Math.abs((back[i] as number) - (weight[i] as number)) <= step / 2 + 1e-7, `value ${i}`);
      }
      assert.equal(back[7], 0);
    }
  });

  it('8-bit: symmetric (zero point 128), every value within half a step', () => {
    const packed = quantizeQ8({ weight, rows: ROWS, cols: COLS });
    const back = dequantizePacked(packed);
    for (let i = 0; i < weight.length; i++) {
      const step = packed.scales[Math.floor(i / 32)] as number;
      assert.ok(Math.abs((back[i] as number) - (weight[i] as number)) <= step / 2 + 1e-7, `value ${i}`);
    }
    assert.ok(packed.zeroPoints.every((z) => z === 128));
  });
});
