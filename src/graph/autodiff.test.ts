import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from './autodiff.ts';
import { GraphBuilder } from './builder.ts';
import type { Value } from './ir.ts';
import { emitModel } from './onnx/model.ts';
import { createSession, runSession } from './runtime.ts';
import { tensor } from './tensor.ts';

async function run(g: GraphBuilder, feeds: Record<string, ReturnType<typeof tensor.f64>>) {
  const session = await createSession({ model: emitModel({ graph: g }) });
  return runSession({ session, feeds });
}

test('fan-in: a value used by several ops sums their gradients', async () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float64', shape: [3] });
  // L = Σ (x·x + sin x + 3x): dL/dx = 2x + cos x + 3
  const loss = g.reduceSum(g.sum([g.mul(x, x), g.sin(x), g.mul(x, 3)]), { keepdims: false });
  const [dx] = grad({ graph: g, loss, wrt: [x] }) as [Value];
  g.output(dx, 'dx');
  const values = [0.5, -1, 2];
  const out = await run(g, { x: tensor.f64([3], values) });
  const got = Array.from(out['dx']?.data as Float64Array);
  for (const [i, v] of values.entries())
    assert.ok(Math.abs((got[i] as number) - (2 * v + Math.cos(v) + 3)) < 1e-12);
});

test('a parameter the loss does not depend on gets zeros of its shape', async () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float64', shape: ['N'] });
  const unused = g.input({ name: 'unused', dtype: 'float64', shape: ['N', 2] });
  const loss = g.reduceSum(g.exp(x), { keepdims: false });
  const [, du] = grad({ graph: g, loss, wrt: [x, unused] }) as [Value, Value];
  g.output(du, 'du');
  const out = await run(g, { x: tensor.f64([2], [1, 2]), unused: tensor.f64([2, 2], [1, 2, 3, 4]) });
  assert.deepEqual(out['du']?.dims, [2, 2]);
  assert.deepEqual(Array.from(out['du']?.data as Float64Array), [0, 0, 0, 0]);
});

test('branches that do not reach a parameter are pruned', () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float32', shape: [4] });
  const w = g.input({ name: 'w', dtype: 'float32', shape: [4] });
  const frozen = g.input({ name: 'frozen', dtype: 'float32', shape: [4] });
  const loss = g.reduceSum(g.add(g.mul(x, w), g.exp(g.mul(x, frozen))), { keepdims: false });
  const before = g.nodes.length;
  grad({ graph: g, loss, wrt: [w] });
  const ops = g.nodes.slice(before).map((n) => n.op);
  // Only d(x*w)/dw = x·dy is needed: no Exp-gradient Mul chain for the frozen branch.
  assert.ok(!ops.includes('Exp'));
  assert.equal(ops.filter((op) => op === 'Mul').length, 1);
});

test('differentiating through an op without a rule fails naming it', () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float32', shape: [2, 4] });
  const scale = g.input({ name: 'scale', dtype: 'float32', shape: [4] });
  const loss = g.reduceSum(g.rmsNormalization(x, { scale, epsilon: 1e-5 }), { keepdims: false });
  assert.throws(() => grad({ graph: g, loss, wrt: [scale] }), /RMSNormalization .* has no gradient rule/);
});

test('the loss must have one element unless a seed is given', () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float32', shape: [2] });
  assert.throws(
    () => grad({ graph: g, loss: g.exp(x), wrt: [x] }),
    /reduce it to one element or pass a seed/,
  );
  const seed = g.input({ name: 'seed', dtype: 'float32', shape: [2] });
  assert.equal(grad({ graph: g, loss: g.exp(x), wrt: [x], seed }).length, 1);
});
