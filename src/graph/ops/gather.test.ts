import { test } from 'node:test';
import { tensor } from '../tensor.ts';
import { expectGradients, inputs } from '../testing/expect-gradients.ts';

test('Gather: embedding lookup with repeated token ids accumulates into the table', async (t) => {
  const r = inputs(500);
  await expectGradients(t, 'Gather axis 0 (embedding)', {
    inputs: { table: r.normal([5, 3]), ids: tensor.i64([2, 3], [1, 4, 1, 0, 1, 4]) },
    wrt: ['table'],
    build: (g, x) => g.gather(x.table!, x.ids!),
  });
  await expectGradients(t, 'Gather symbolic ids [B,T]', {
    inputs: { table: r.normal([5, 3]), ids: tensor.i64([2, 3], [1, 4, 1, 0, 1, 4]) },
    shapes: { ids: ['B', 'T'] },
    wrt: ['table'],
    build: (g, x) => g.gather(x.table!, x.ids!),
  });
});

test('Gather: a middle axis, matrix and scalar indices, negative index', async (t) => {
  const r = inputs(501);
  await expectGradients(t, 'Gather axis 1', {
    inputs: { x: r.normal([2, 4, 3]), ids: tensor.i64([2, 2], [3, 0, 3, -1]) },
    wrt: ['x'],
    build: (g, x) => g.gather(x.x!, x.ids!, { axis: 1 }),
  });
  await expectGradients(t, 'Gather scalar index', {
    inputs: { x: r.normal([2, 4, 3]), ids: tensor.i64([], [2]) },
    wrt: ['x'],
    build: (g, x) => g.gather(x.x!, x.ids!, { axis: 2 }),
  });
});

test('GatherElements: picking token log-probs from log-softmax', async (t) => {
  const r = inputs(502);
  await expectGradients(t, 'GatherElements', {
    inputs: { logits: r.normal([2, 3, 5]), labels: tensor.i64([2, 3, 1], [4, 0, 2, 2, 2, 1]) },
    wrt: ['logits'],
    build: (g, x) => g.gatherElements(g.logSoftmax(x.logits!), x.labels!, { axis: 2 }),
  });
});

test('TopK values, CumSum and Trilu', async (t) => {
  const r = inputs(503);
  await expectGradients(t, 'TopK', {
    inputs: { x: r.normal([3, 5]) },
    wrt: ['x'],
    build: (g, x) => g.topK(x.x!, { k: 2, axis: 1 }).values,
  });
  await expectGradients(t, 'CumSum', {
    inputs: { x: r.normal([3, 4]) },
    wrt: ['x'],
    build: (g, x) =>
      g.add(g.cumSum(x.x!, { axis: 1 }), g.cumSum(x.x!, { axis: 0, exclusive: true, reverse: true })),
  });
  await expectGradients(t, 'Trilu', {
    inputs: { x: r.normal([2, 4, 4]) },
    wrt: ['x'],
    build: (g, x) => g.add(g.trilu(x.x!, { upper: false }), g.trilu(x.x!, { upper: true, k: 1 })),
  });
});
