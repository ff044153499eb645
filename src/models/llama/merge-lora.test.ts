import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '../../graph/random.ts';
import { mergeLora } from './merge-lora.ts';

test('a merged weight maps x as W x + factor·B(A x) does (plain loops, float64)', () => {
  const [out, inp, rank, factor] = [5, 7, 3, 2.5];
  const rng = createRng(4);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const [w, a, b, x] = [fill(out * inp), fill(rank * inp), fill(out * rank), fill(inp)];
  const merged = mergeLora({ weight: w, a, b, shape: [out, inp], rank, factor });
  for (let o = 0; o < out; o++) {
    let direct = 0;
    let viaMerged = 0;
    for (let i = 0; i < inp; i++) {
      direct += w[o * inp + i]! * x[i]!;
      viaMerged += merged[o * inp + i]! * x[i]!;
    }
    for (let r = 0; r < rank; r++) {
      let ax = 0;
      for (let i = 0; i < inp; i++) ax += a[r * inp + i]! * x[i]!;
      direct += factor * b[o * rank + r]! * ax;
    }
    assert.ok(Math.abs(direct - viaMerged) < 1e-5, `row ${o}: ${direct} vs ${viaMerged}`);
  }
  assert.throws(
    () => mergeLora({ weight: w, a, b: b.subarray(1), shape: [out, inp], rank, factor }),
    /cannot merge LoRA: .*B 14 for \[5, 3\]/,
  );
});
