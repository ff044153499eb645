import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../builder.ts';
import type { Value } from '../ir.ts';
import { emitModel } from '../onnx/model.ts';
import { createRng } from '../random.ts';
import { createSession, runSession } from '../runtime.ts';
import { type HostTensor, randn, tensor } from '../tensor.ts';

/**
 * The opset-23 fused ops (no gradient rules) checked against the same computation from
 * primitives: this pins down their semantics for the model code (GQA head grouping, causal
 * alignment with a KV cache, rotate-half vs interleaved RoPE).
 */
async function run(g: GraphBuilder, feeds: Record<string, HostTensor>) {
  return runSession({ session: await createSession({ model: emitModel({ graph: g }) }), feeds });
}

function maxDiff(a: HostTensor | undefined, b: HostTensor | undefined): number {
  const x = Array.from(a?.data as Float64Array);
  const y = Array.from(b?.data as Float64Array);
  assert.equal(x.length, y.length);
  return Math.max(...x.map((v, i) => Math.abs(v - (y[i] as number))));
}

/** softmax(q kᵀ · scale + causal mask) v, with kv heads repeated to the query heads. */
function referenceAttention(
  g: GraphBuilder,
  o: { q: Value; k: Value; v: Value; groups: number; scale: number },
) {
  const [b, hkv, l, d] = o.k.shape as number[];
  const repeat = (t: Value) =>
    g.reshape(g.expand(g.unsqueeze(t, [2]), [b!, hkv!, o.groups, l!, d!]), [b!, hkv! * o.groups, l!, d!]);
  const scores = g.mul(g.matmul(o.q, g.transpose(repeat(o.k), [0, 1, 3, 2])), o.scale); // [B, Hq, S, L]
  const s = o.q.shape[2] as number;
  // Bottom-right causal alignment: query i (of S) sees keys j <= i + L - S.
  const allowed = tensor.bool(
    [s, l!],
    Array.from({ length: s * l! }, (_, n) => n % l! <= Math.floor(n / l!) + l! - s),
  );
  const masked = g.where({ cond: g.constant(allowed), ifTrue: scores, ifFalse: -1e300 });
  return g.matmul(g.softmax(masked), repeat(o.v));
}

// ONNX Runtime's float64 Attention kernel is not exact to double precision (it differs from the
// primitive graph by ~1e-8), hence the looser tolerance here than for the other fused ops.
const ATTENTION_TOLERANCE = 1e-6;

test('Attention (GQA, causal) matches the primitive computation in float64', async (t) => {
  const rng = createRng(700);
  const feeds = {
    q: randn({ dtype: 'float64', dims: [2, 4, 3, 8], rng }),
    k: randn({ dtype: 'float64', dims: [2, 2, 3, 8], rng }),
    v: randn({ dtype: 'float64', dims: [2, 2, 3, 8], rng }),
  };
  const g = new GraphBuilder();
  const x = Object.fromEntries(
    Object.entries(feeds).map(([n, t]) => [n, g.input({ name: n, dtype: t.dtype, shape: t.dims })]),
  );
  const scale = 1 / Math.sqrt(8);
  g.output(g.attention({ q: x.q!, k: x.k!, v: x.v!, isCausal: true, scale }).y, 'fused');
  g.output(referenceAttention(g, { q: x.q!, k: x.k!, v: x.v!, groups: 2, scale }), 'reference');
  const out = await run(g, feeds);
  const diff = maxDiff(out['fused'], out['reference']);
  t.diagnostic(`Attention prefill: max |fused - primitives| = ${diff.toExponential(2)}`);
  assert.ok(diff < ATTENTION_TOLERANCE);
});

test('Attention with a past KV cache: decode attends to every cached position, present = concat', async (t) => {
  const rng = createRng(701);
  const feeds = {
    q: randn({ dtype: 'float64', dims: [1, 6, 1, 4], rng }),
    k: randn({ dtype: 'float64', dims: [1, 3, 1, 4], rng }),
    v: randn({ dtype: 'float64', dims: [1, 3, 1, 4], rng }),
    pastKey: randn({ dtype: 'float64', dims: [1, 3, 5, 4], rng }),
    pastValue: randn({ dtype: 'float64', dims: [1, 3, 5, 4], rng }),
  };
  const g = new GraphBuilder();
  const x = Object.fromEntries(
    Object.entries(feeds).map(([n, t]) => [n, g.input({ name: n, dtype: t.dtype, shape: t.dims })]),
  ) as Record<string, Value>;
  const fused = g.attention({
    q: x.q!,
    k: x.k!,
    v: x.v!,
    pastKey: x.pastKey!,
    pastValue: x.pastValue!,
    isCausal: true,
  });
  assert.deepEqual(fused.presentKey?.shape, [1, 3, 6, 4]);
  g.output(fused.y, 'fused');
  g.output(fused.presentKey!, 'presentKey');
  const kAll = g.concat([x.pastKey!, x.k!], { axis: 2 });
  const vAll = g.concat([x.pastValue!, x.v!], { axis: 2 });
  g.output(kAll, 'kAll');
  g.output(referenceAttention(g, { q: x.q!, k: kAll, v: vAll, groups: 2, scale: 0.5 }), 'reference');
  const out = await run(g, feeds);
  const diff = maxDiff(out['fused'], out['reference']);
  t.diagnostic(`Attention decode with past: max |fused - primitives| = ${diff.toExponential(2)}`);
  assert.ok(diff < ATTENTION_TOLERANCE);
  assert.equal(maxDiff(out['presentKey'], out['kAll']), 0);
});

test('RMSNormalization matches g.rmsNorm built from primitives', async () => {
  const rng = createRng(702);
  const feeds = {
    x: randn({ dtype: 'float64', dims: [2, 3, 8], rng }),
    w: randn({ dtype: 'float64', dims: [8], rng }),
  };
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float64', shape: ['B', 'T', 8] });
  const w = g.input({ name: 'w', dtype: 'float64', shape: [8] });
  g.output(g.rmsNormalization(x, { scale: w, epsilon: 1e-5 }), 'fused');
  g.output(g.rmsNorm({ x, weight: w, eps: 1e-5 }), 'reference');
  const out = await run(g, feeds);
  assert.ok(maxDiff(out['fused'], out['reference']) < 1e-12);
});

test('RotaryEmbedding (float32 only): interleaved=0 is rotate-half, interleaved=1 rotates adjacent pairs', async () => {
  const rng = createRng(703);
  const [B, H, S, D, P] = [1, 2, 3, 8, 6];
  const theta = Array.from(
    { length: P * (D / 2) },
    (_, n) => Math.floor(n / (D / 2)) * 10000 ** (-(n % (D / 2)) / (D / 2)),
  );
  const feeds = {
    x: randn({ dtype: 'float32', dims: [B, H, S, D], rng }),
    cos: tensor.f32([P, D / 2], theta.map(Math.cos)),
    sin: tensor.f32([P, D / 2], theta.map(Math.sin)),
    pos: tensor.i64([B, S], [2, 3, 5]),
  };
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float32', shape: [B, H, S, D] });
  const cosT = g.input({ name: 'cos', dtype: 'float32', shape: [P, D / 2] });
  const sinT = g.input({ name: 'sin', dtype: 'float32', shape: [P, D / 2] });
  const pos = g.input({ name: 'pos', dtype: 'int64', shape: [B, S] });
  const cos = g.unsqueeze(g.gather(cosT, pos), [1]); // [B, 1, S, D/2]
  const sin = g.unsqueeze(g.gather(sinT, pos), [1]);
  for (const interleaved of [false, true]) {
    const name = interleaved ? 'interleaved' : 'half';
    g.output(g.rotaryEmbedding({ x, cos: cosT, sin: sinT, positionIds: pos, interleaved }), `fused_${name}`);
    let a: Value;
    let b: Value;
    if (interleaved) {
      const pairs = g.reshape(x, [B, H, S, D / 2, 2]);
      a = g.squeeze(g.slice(pairs, { starts: [0], ends: [1], axes: [4] }), [4]);
      b = g.squeeze(g.slice(pairs, { starts: [1], ends: [2], axes: [4] }), [4]);
    } else {
      [a, b] = g.split(x, { axis: 3, numOutputs: 2 }) as [Value, Value];
    }
    const ra = g.sub(g.mul(a, cos), g.mul(b, sin));
    const rb = g.add(g.mul(b, cos), g.mul(a, sin));
    const ref = interleaved
      ? g.reshape(g.concat([g.unsqueeze(ra, [4]), g.unsqueeze(rb, [4])], { axis: 4 }), [B, H, S, D])
      : g.concat([ra, rb], { axis: 3 });
    g.output(ref, `reference_${name}`);
  }
  const out = await run(g, feeds);
  for (const name of ['half', 'interleaved']) {
    const f = Array.from(out[`fused_${name}`]?.data as Float32Array);
    const r = Array.from(out[`reference_${name}`]?.data as Float32Array);
    assert.ok(Math.max(...f.map((v, i) => Math.abs(v - (r[i] as number)))) < 1e-5, name);
  }
});
