/**
 * Row order of q/k projections for the two RoPE pairings (see `RopeStyle` in config.ts).
 *
 * Within each head of `headDim` rows, the half-split order pairs row i with row i + headDim/2; the
 * adjacent-pair order pairs rows 2i and 2i+1. llama.cpp's converter turns a Hugging Face Llama
 * checkpoint into GGUF by moving half-split row (j·headDim/2 + i) to adjacent row (2i + j), j ∈ {0,1}.
 * Applying adjacent-pair RoPE to the moved rows computes the same attention scores as half-split
 * RoPE on the original rows, because q and k are moved alike and a dot product ignores the order.
 */

function permuteRows(options: {
  weight: Float32Array;
  heads: number;
  /** Values per row: the input size for a weight matrix, 1 for a bias vector. */
  rowLength: number;
  toAdjacent: boolean;
}): Float32Array {
  const { weight, heads, rowLength, toAdjacent } = options;
  const rows = weight.length / rowLength;
  if (!Number.isInteger(rows) || rows % heads !== 0 || (rows / heads) % 2 !== 0) {
    throw new Error(`cannot split ${rows} rows into ${heads} heads of an even size`);
  }
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(weight.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const splitRow = h * headDim + j * half + i;
        const adjacentRow = h * headDim + 2 * i + j;
        const [from, to] = toAdjacent ? [splitRow, adjacentRow] : [adjacentRow, splitRow];
        out.set(weight.subarray(from * rowLength, (from + 1) * rowLength), to * rowLength);
      }
    }
  }
  return out;
}

/** Hugging Face (half-split) q/k rows → GGUF llama (adjacent-pair) order. */
export function qkRowsToAdjacentPair(options: {
  weight: Float32Array;
  heads: number;
  rowLength: number;
}): Float32Array {
  return permuteRows({ ...options, toAdjacent: true });
}

/** GGUF llama (adjacent-pair) q/k rows → Hugging Face (half-split) order. */
export function qkRowsToHalfSplit(options: {
  weight: Float32Array;
  heads: number;
  rowLength: number;
}): Float32Array {
  return permuteRows({ ...options, toAdjacent: false });
}
