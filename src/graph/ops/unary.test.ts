import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../autodiff.ts';
import { GraphBuilder } from '../builder.ts';
import type { Value } from '../ir.ts';
import { emitModel } from '../onnx/model.ts';
import { createSession, runSession } from '../runtime.ts';
import { tensor } from '../tensor.ts';
import { expectGradients, inputs } from '../testing/expect-gradients.ts';
import type { GraphBuilder as Builder } from '../builder.ts';

const CASES: Array<{ op: string; positive?: boolean; build: (g: Builder, x: Value) => Value }> = [
  { op: 'Neg', build: (g, x) => g.neg(x) },
  { op: 'Exp', build: (g, x) => g.exp(x) },
  { op: 'Log', positive: true, build: (g, x) => g.log(x) },
  { op: 'Sqrt', positive: true, build: (g, x) => g.sqrt(x) },
  { op: 'Reciprocal', positive: true, build: (g, x) => g.reciprocal(x) },
  { op: 'Sigmoid', build: (g, x) => g.sigmoid(x) },
  { op: 'Tanh', build: (g, x) => g.tanh(x) },
  { op: 'Abs', build: (g, x) => g.abs(x) },
  { op: 'Relu', build: (g, x) => g.relu(x) },
  { op: 'Sin', build: (g, x) => g.sin(x) },
  { op: 'Cos', build: (g, x) => g.cos(x) },
  { op: 'Identity', build: (g, x) => g.identity(x) },
  { op: 'SiLU (composite)', build: (g, x) => g.silu(x) },
];

for (const [i, c] of CASES.entries()) {
  test(`${c.op}: gradient matches finite differences`, async (t) => {
    const r = inputs(100 + i);
    await expectGradients(t, c.op, {
      inputs: { x: c.positive === true ? r.positive([3, 4]) : r.normal([3, 4]) },
      wrt: ['x'],
      build: (g, x) => c.build(g, x.x!),
    });
  });
}

test('Cast: float64 -> float32 -> float64 passes the gradient back through both casts', async (t) => {
  const r = inputs(150);
  // The float32 round trip rounds the forward values, so the step is large and the tolerance wider.
  await expectGradients(t, 'Cast', {
    inputs: { x: r.normal([3, 4]) },
    wrt: ['x'],
    eps: 1e-2,
    tolerance: 1e-4,
    build: (g, x) => g.mul(g.cast(g.cast(x.x!, 'float32'), 'float64'), 3),
  });
});

test('StopGradient: treated as a constant by differentiation', async () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float64', shape: [3] });
  // d/dx Σ x * stop(x) = stop(x) = x (not 2x).
  const loss = g.reduceSum(g.mul(x, g.stopGradient(x)), { keepdims: false });
  const [dx] = grad({ graph: g, loss, wrt: [x] }) as [Value];
  g.output(dx, 'dx');
  const session = await createSession({ model: emitModel({ graph: g }) });
  const out = await runSession({ session, feeds: { x: tensor.f64([3], [1, -2, 3]) } });
  assert.deepEqual(Array.from(out['dx']?.data as Float64Array), [1, -2, 3]);
});
