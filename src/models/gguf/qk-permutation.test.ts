import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { qkRowsToAdjacentPair, qkRowsToHalfSplit } from './qk-permutation.ts';

// Independent RoPE implementations, written from their definitions, to check the claim in
// qk-permutation.ts: permuted rows + adjacent-pair RoPE give the same q·k as half-split RoPE.
function rope(x: Float64Array, pos: number, base: number, style: 'adjacent' | 'half'): Float64Array {
  const d = x.length;
  const out = new Float64Array(d);
  for (let i = 0; i < d / 2; i++) {
    const angle = pos * base ** ((-2 * i) / d);
    const [a, b] = style === 'adjacent' ? [2 * i, 2 * i + 1] : [i, i + d / 2];
    out[a] = x[a]! * Math.cos(angle) - x[b]! * Math.sin(angle);
    out[b] = x[a]! * Math.sin(angle) + x[b]! * Math.cos(angle);
  }
  return out;
}

function matvec(w: Float32Array, x: Float64Array, rows: number): Float64Array {
  const cols = x.length;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r]! += w[r * cols + c]! * x[c]!;
  return out;
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 30 - 1;
  });
}

describe('q/k row permutation', () => {
  it('moves half-split row j·d/2 + i to adjacent row 2i + j in every head', () => {
    // 2 heads of 4 rows, one value per row: the value is the row index.
    const rows = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(
      [...qkRowsToAdjacentPair({ weight: rows, heads: 2, rowLength: 1 })],
      [0, 2, 1, 3, 4, 6, 5, 7],
    );
    const back = qkRowsToHalfSplit({
      weight: qkRowsToAdjacentPair({ weight: rows, heads: 2, rowLength: 1 }),
      heads: 2,
      rowLength: 1,
    });
    assert.deepEqual([...back], [...rows]);
    assert.throws(
      () => qkRowsToAdjacentPair({ weight: new Float32Array(6), heads: 2, rowLength: 1 }),
      /even size/,
    );
  });

  it('gives the same attention scores with adjacent-pair RoPE as the original with half-split RoPE', () => {
    const heads = 3;
    const headDim = 8;
    const hidden = 5;
    const wq = seeded(heads * headDim * hidden, 1);
    const wk = seeded(heads * headDim * hidden, 2);
    const wqAdj = qkRowsToAdjacentPair({ weight: wq, heads, rowLength: hidden });
    const wkAdj = qkRowsToAdjacentPair({ weight: wk, heads, rowLength: hidden });
    const x1 = Float64Array.from(seeded(hidden, 3));
    const x2 = Float64Array.from(seeded(hidden, 4));
    const rows = heads * headDim;
    for (const [p1, p2] of [
      [0, 0],
      [3, 1],
      [17, 9],
    ] as const) {
      const qHalf = matvec(wq, x1, rows);
      const kHalf = matvec(wk, x2, rows);
      const qAdj = matvec(wqAdj, x1, rows);
      const kAdj = matvec(wkAdj, x2, rows);
      for (let h = 0; h < heads; h++) {
        const slice = (v: Float64Array) => v.subarray(h * headDim, (h + 1) * headDim);
        const a = rope(slice(qHalf), p1, 10000, 'half');
        const b = rope(slice(kHalf), p2, 10000, 'half');
        const c = rope(slice(qAdj), p1, 10000, 'adjacent');
        const d = rope(slice(kAdj), p2, 10000, 'adjacent');
        const dot = (u: Float64Array, v: Float64Array) => u.reduce((s, ui, i) => s + ui * v[i]!, 0);
        assert.ok(Math.abs(dot(a, b) - dot(c, d)) < 1e-12, `head ${h} positions ${p1},${p2}`);
      }
      // The wrong pairing does not match: the permutation matters.
      const wrong = rope(qHalf.subarray(0, headDim), p1 + 1, 10000, 'adjacent');
      const right = rope(qHalf.subarray(0, headDim), p1 + 1, 10000, 'half');
      assert.notDeepEqual([...wrong], [...right]);
    }
  });
});
