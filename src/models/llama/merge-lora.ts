/**
 * A LoRA adapter folded into the weight it adapts: W' = W + factor·B·A, with W [out, in],
 * B [out, rank], A [rank, in] and factor = alpha / rank (lora.ts). The product is accumulated in
 * float64 per row and each value is rounded to float32 once, so W' x equals W x + factor·B(A x)
 * to float32 rounding.
 */
export function mergeLora(options: {
  weight: Float32Array;
  a: Float32Array;
  b: Float32Array;
  /** [out, in] of the weight. */
  shape: readonly [number, number];
  rank: number;
  factor: number;
}): Float32Array {
  const { weight, a, b, rank, factor } = options;
  const [out, inp] = options.shape;
  if (weight.length !== out * inp || a.length !== rank * inp || b.length !== out * rank) {
    throw new Error(
      `cannot merge LoRA: weight ${weight.length} values for [${out}, ${inp}], A ${a.length} for [${rank}, ${inp}], B ${b.length} for [${out}, ${rank}]`,
    );
  }
  const merged = new Float32Array(weight.length);
  const row = new Float64Array(inp); // one output row of factor·B·A
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let r = 0; r < rank; r++) {
      const coef = factor * (b[o * rank + r] as number);
      if (coef === 0) continue;
      const aRow = r * inp;
      for (let i = 0; i < inp; i++) row[i]! += coef * (a[aRow + i] as number);
    }
    const wRow = o * inp;
    for (let i = 0; i < inp; i++) merged[wRow + i] = (weight[wRow + i] as number) + (row[i] as number);
  }
  return merged;
}
