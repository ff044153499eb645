import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../autodiff.ts';
import { GraphBuilder } from '../builder.ts';
import type { Value } from '../ir.ts';
import { emitModel } from '../onnx/model.ts';
import { createSession, runSession } from '../runtime.ts';
import { tensor } from '../tensor.ts';
import { expectGradients, inputs } from '../testing/expect-gradients.ts';

test('ReduceSum: keepdims on and off, several axes', async (t) => {
  const r = inputs(200);
  await expectGradients(t, 'ReduceSum', {
    inputs: { x: r.normal([2, 3, 4]) },
    wrt: ['x'],
    build: (g, x) =>
      g.add(
        g.reduceSum(x.x!, { axes: [1] }),
        g.unsqueeze(g.reduceSum(x.x!, { axes: [0, 1], keepdims: false }), [0, 1]),
      ),
  });
});

test('ReduceMean: static dims and symbolic dims (count computed at run time)', async (t) => {
  const r = inputs(201);
  await expectGradients(t, 'ReduceMean', {
    inputs: { x: r.normal([2, 3, 4]) },
    wrt: ['x'],
    build: (g, x) => g.reduceMean(x.x!, { axes: [-1, 0], keepdims: false }),
  });
  await expectGradients(t, 'ReduceMean (symbolic)', {
    inputs: { x: r.normal([2, 3, 4]) },
    shapes: { x: ['B', 'T', 4] },
    wrt: ['x'],
    build: (g, x) => g.reduceMean(x.x!, { axes: [1] }),
  });
});

test('ReduceMax and ReduceMin: gradient through the arg-extremum mask', async (t) => {
  const r = inputs(202);
  await expectGradients(t, 'ReduceMax', {
    inputs: { x: r.normal([3, 5]) },
    wrt: ['x'],
    build: (g, x) => g.reduceMax(x.x!, { axes: [1], keepdims: false }),
  });
  await expectGradients(t, 'ReduceMin', {
    inputs: { x: r.normal([3, 5]) },
    wrt: ['x'],
    build: (g, x) => g.reduceMin(x.x!, { axes: [0] }),
  });
});

test('ReduceMax: tied maxima share the gradient evenly', async () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float64', shape: [4] });
  const loss = g.reduceMax(x, { keepdims: false });
  const [dx] = grad({ graph: g, loss, wrt: [x] }) as [Value];
  g.output(dx, 'dx');
  const session = await createSession({ model: emitModel({ graph: g }) });
  const out = await runSession({ session, feeds: { x: tensor.f64([4], [1, 3, 0, 3]) } });
  assert.deepEqual(Array.from(out['dx']?.data as Float64Array), [0, 0.5, 0, 0.5]);
});

test('ReduceSumSquare and ReduceLogSumExp', async (t) => {
  const r = inputs(203);
  await expectGradients(t, 'ReduceSumSquare', {
    inputs: { x: r.normal([3, 4]) },
    wrt: ['x'],
    build: (g, x) => g.reduceSumSquare(x.x!, { axes: [1] }),
  });
  await expectGradients(t, 'ReduceLogSumExp', {
    inputs: { x: r.normal([3, 4]) },
    wrt: ['x'],
    build: (g, x) => g.reduceLogSumExp(x.x!, { axes: [1], keepdims: false }),
  });
});

test('Softmax and LogSoftmax: last axis and a middle axis', async (t) => {
  const r = inputs(204);
  await expectGradients(t, 'Softmax', {
    inputs: { x: r.normal([2, 3, 4]) },
    wrt: ['x'],
    build: (g, x) => g.add(g.softmax(x.x!), g.softmax(x.x!, { axis: 1 })),
  });
  await expectGradients(t, 'LogSoftmax', {
    inputs: { x: r.normal([2, 3, 4]) },
    wrt: ['x'],
    build: (g, x) => g.add(g.logSoftmax(x.x!), g.logSoftmax(x.x!, { axis: 1 })),
  });
});
