import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GraphBuilder } from './builder.ts';
import type { Value } from './ir.ts';
import { tensor } from './tensor.ts';
import { expectGradients, inputs } from './testing/expect-gradients.ts';

/**
 * One causal self-attention block the way the training graph writes it: symbolic B and T,
 * grouped KV heads, rotate-half RoPE from primitives (position tables gathered by range(0, T)),
 * a causal mask built at run time, and LoRA on the query projection. Gradients of the LoRA
 * matrices and of the input are checked against finite differences.
 */
const [C, HQ, HKV, D, MAX_T] = [8, 2, 1, 4, 8];

function ropeTables() {
  const half = D / 2;
  const theta = Array.from(
    { length: MAX_T * half },
    (_, n) => Math.floor(n / half) * 10000 ** (-(n % half) / half),
  );
  return {
    cos: tensor.f64([MAX_T, half], theta.map(Math.cos)),
    sin: tensor.f64([MAX_T, half], theta.map(Math.sin)),
  };
}

function attentionBlock(g: GraphBuilder, x: Record<string, Value>): Value {
  const tables = ropeTables();
  const cosTable = g.initializer({ name: 'rope_cos', tensor: tables.cos });
  const sinTable = g.initializer({ name: 'rope_sin', tensor: tables.sin });
  const positions = g.range({ start: 0, limit: 'T' }); // [T]
  assert.deepEqual(positions.shape, ['T']);
  const cos = g.gather(cosTable, positions); // [T, D/2]
  const sin = g.gather(sinTable, positions);
  const rope = (t: Value) => {
    const [a, b] = g.split(t, { axis: -1, numOutputs: 2 }) as [Value, Value]; // [B, H, T, D/2] each
    return g.concat([g.sub(g.mul(a, cos), g.mul(b, sin)), g.add(g.mul(b, cos), g.mul(a, sin))], { axis: -1 });
  };
  const heads = (t: Value, h: number) => g.transpose(g.reshape(t, ['B', 'T', h, D]), [0, 2, 1, 3]); // [B, h, T, D]
  const repeatKv = (t: Value) =>
    g.reshape(g.expand(g.unsqueeze(t, [2]), ['B', HKV, HQ / HKV, 'T', D]), ['B', HQ, 'T', D]);

  const input = x.x!; // [B, T, C]
  const lora = g.mul(g.matmul(g.matmul(input, x.loraA!), x.loraB!), 0.5); // [B, T, HQ*D]
  const q = rope(heads(g.add(g.matmul(input, x.wq!), lora), HQ)); // [B, HQ, T, D]
  const k = repeatKv(rope(heads(g.matmul(input, x.wk!), HKV))); // [B, HQ, T, D]
  const v = repeatKv(heads(g.matmul(input, x.wv!), HKV));
  const scores = g.mul(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(D)); // [B, HQ, T, T]
  const causal = g.trilu(g.constantOfShape(['T', 'T'], { value: 1, dtype: 'float64' }), { upper: false }); // [T, T]
  const masked = g.where({ cond: g.equal(causal, 0), ifTrue: -1e30, ifFalse: scores });
  const attn = g.matmul(g.softmax(masked), v); // [B, HQ, T, D]
  const merged = g.reshape(g.transpose(attn, [0, 2, 1, 3]), ['B', 'T', HQ * D]); // [B, T, C]
  assert.deepEqual(merged.shape, ['B', 'T', HQ * D]);
  return g.matmul(merged, x.wo!); // [B, T, C]
}

test('attention block with RoPE, GQA, runtime causal mask and LoRA: gradients match finite differences', async (t) => {
  const r = inputs(800);
  const w = (rows: number, cols: number) =>
    r.uniform([rows, cols], -1 / Math.sqrt(rows), 1 / Math.sqrt(rows));
  await expectGradients(t, 'attention block (LoRA A, LoRA B, x)', {
    inputs: {
      x: r.normal([2, 5, C]),
      wq: w(C, HQ * D),
      wk: w(C, HKV * D),
      wv: w(C, HKV * D),
      wo: w(HQ * D, C),
      loraA: w(C, 2),
      loraB: w(2, HQ * D),
    },
    shapes: { x: ['B', 'T', C] },
    wrt: ['loraA', 'loraB', 'x'],
    build: attentionBlock,
  });
});
