import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../autodiff.ts';
import { GraphBuilder } from '../builder.ts';
import type { Value } from '../ir.ts';
import { emitModel } from '../onnx/model.ts';
import { createSession, runSession } from '../runtime.ts';
import { type HostTensor, tensor, toNumbers } from '../tensor.ts';

/** Forward-only ops (no gradient): comparisons, logic, ArgMax, Range, IsNaN in float32 and float64. */
for (const dtype of ['float32', 'float64'] as const) {
  test(`comparisons, logic, ArgMax and Range run in ${dtype}`, async () => {
    const g = new GraphBuilder();
    const a = g.input({ name: 'a', dtype, shape: [4] });
    const b = g.input({ name: 'b', dtype, shape: [4] });
    const outputs: Record<string, Value> = {
      eq: g.equal(a, b),
      lt: g.less(a, b),
      le: g.lessOrEqual(a, b),
      gt: g.greater(a, b),
      ge: g.greaterOrEqual(a, b),
      and: g.and(g.less(a, b), g.greater(a, 0)),
      or: g.or(g.less(a, b), g.greater(a, 0)),
      not: g.not(g.less(a, b)),
      nan: g.isNaN(g.div(a, b)),
      argmax: g.argMax(a, { axis: 0, keepdims: false }),
      range: g.range({ start: 0.5, limit: 2, delta: 0.5, dtype }),
    };
    for (const [name, v] of Object.entries(outputs)) g.output(v, name);
    const session = await createSession({ model: emitModel({ graph: g }) });
    const make = (values: number[]): HostTensor =>
      dtype === 'float32' ? tensor.f32([4], values) : tensor.f64([4], values);
    const out = await runSession({ session, feeds: { a: make([1, -2, 3, 0]), b: make([1, 0, 2, 0]) } });
    const got = (name: string) => toNumbers(out[name] as HostTensor);
    assert.deepEqual(got('eq'), [1, 0, 0, 1]);
    assert.deepEqual(got('lt'), [0, 1, 0, 0]);
    assert.deepEqual(got('le'), [1, 1, 0, 1]);
    assert.deepEqual(got('gt'), [0, 0, 1, 0]);
    assert.deepEqual(got('ge'), [1, 0, 1, 1]);
    assert.deepEqual(got('and'), [0, 0, 0, 0]);
    assert.deepEqual(got('or'), [1, 1, 1, 0]);
    assert.deepEqual(got('not'), [1, 0, 1, 1]);
    assert.deepEqual(got('nan'), [0, 0, 0, 1]);
    assert.deepEqual(got('argmax'), [2]);
    assert.deepEqual(got('range'), [0.5, 1, 1.5]);
  });
}

test('comparison outputs are constants for differentiation', () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float64', shape: [3] });
  const mask = g.cast(g.greater(x, 0), 'float64');
  // d/dx Σ x · [x > 0] = [x > 0]: one Mul of dy by the mask, nothing through Greater.
  const loss = g.reduceSum(g.mul(x, mask), { keepdims: false });
  const before = g.nodes.length;
  grad({ graph: g, loss, wrt: [x] });
  assert.ok(!g.nodes.slice(before).some((n) => n.op === 'Greater' || n.op === 'Cast'));
});
