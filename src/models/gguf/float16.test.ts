import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from './float16.ts';

describe('float16', () => {
  it('decodes known half bit patterns', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x3555), 0.333251953125);
    assert.ok(Object.is(halfToFloat(0x8000), -0));
    assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  });

  it('encodes every non-NaN half back to its own bits', () => {
    for (let bits = 0; bits < 65536; bits++) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent === 31 && (bits & 0x3ff) !== 0) continue;
      assert.equal(floatToHalf(halfToFloat(bits)), bits, `bits 0x${bits.toString(16)}`);
    }
  });

  it('rounds to nearest, ties to even, and overflows to infinity', () => {
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // tie between 1 and 1+2^-10: even is 1
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02); // tie between 1+2^-10 and 1+2^-9: even is up
    assert.equal(floatToHalf(1 + 2 ** -11 + 2 ** -20), 0x3c01); // above the tie
    assert.equal(floatToHalf(65520), 0x7c00);
    assert.equal(floatToHalf(-1e6), 0xfc00);
    assert.equal(floatToHalf(2 ** -25), 0x0000); // tie between 0 and the smallest subnormal
    assert.equal(floatToHalf(3 * 2 ** -25), 0x0002); // tie between 1 and 2 subnormal units
    assert.equal(floatToHalf(2 ** -14 - 2 ** -26), 0x0400); // rounds up from subnormal into normal
    assert.equal(floatToHalf(Number.NaN) & 0x7e00, 0x7e00);
  });

  it('converts bfloat16 both ways', () => {
    assert.equal(bf16ToFloat(0x3f80), 1);
    assert.equal(bf16ToFloat(0xc0a0), -5);
    assert.equal(floatToBf16(1), 0x3f80);
    assert.equal(floatToBf16(-5), 0xc0a0);
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1).
    assert.equal(floatToBf16(1 + 2 ** -8), 0x3f80);
    assert.equal(floatToBf16(1 + 3 * 2 ** -8), 0x3f82);
    assert.ok(Number.isNaN(bf16ToFloat(floatToBf16(Number.NaN))));
  });
});
