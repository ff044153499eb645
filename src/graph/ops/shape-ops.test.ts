import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../builder.ts';
import { tensor } from '../tensor.ts';
import { expectGradients, inputs } from '../testing/expect-gradients.ts';

test('Reshape: static, with -1, and symbolic [B,T,C] -> [B*T,C] -> [B,T,H,D]', async (t) => {
  const r = inputs(400);
  await expectGradients(t, 'Reshape', {
    inputs: { x: r.normal([2, 3, 4]) },
    wrt: ['x'],
    build: (g, x) => g.reshape(x.x!, [4, -1]),
  });
  await expectGradients(t, 'Reshape symbolic', {
    inputs: { x: r.normal([2, 3, 4]) },
    shapes: { x: ['B', 'T', 4] },
    wrt: ['x'],
    build: (g, x) => {
      const flat = g.reshape(x.x!, ['B*T', 4]);
      assert.deepEqual(flat.shape, ['B*T', 4]);
      const heads = g.reshape(g.mul(flat, flat), ['B', 'T', 2, 2]);
      assert.deepEqual(heads.shape, ['B', 'T', 2, 2]);
      return heads;
    },
  });
});

test('Transpose, Expand, Unsqueeze, Squeeze', async (t) => {
  const r = inputs(401);
  await expectGradients(t, 'Transpose', {
    inputs: { x: r.normal([2, 3, 4]) },
    wrt: ['x'],
    build: (g, x) => g.transpose(x.x!, [1, 2, 0]),
  });
  await expectGradients(t, 'Expand', {
    inputs: { x: r.normal([3, 1]) },
    wrt: ['x'],
    build: (g, x) => g.expand(x.x!, [2, 3, 4]),
  });
  await expectGradients(t, 'Unsqueeze', {
    inputs: { x: r.normal([3, 4]) },
    wrt: ['x'],
    build: (g, x) => g.mul(g.unsqueeze(x.x!, [0, -1]), 2),
  });
  await expectGradients(t, 'Squeeze', {
    inputs: { x: r.normal([3, 1, 4, 1]) },
    wrt: ['x'],
    build: (g, x) => g.squeeze(x.x!, [1, 3]),
  });
});

test('Concat: three inputs along a middle axis, static and symbolic', async (t) => {
  const r = inputs(402);
  await expectGradients(t, 'Concat', {
    inputs: { a: r.normal([2, 1, 3]), b: r.normal([2, 2, 3]), c: r.normal([2, 3, 3]) },
    wrt: ['a', 'b', 'c'],
    build: (g, x) => g.concat([x.a!, x.b!, x.c!], { axis: 1 }),
  });
  await expectGradients(t, 'Concat symbolic (KV-cache style P+T)', {
    inputs: { past: r.normal([2, 3, 4]), cur: r.normal([2, 2, 4]) },
    shapes: { past: ['B', 'P', 4], cur: ['B', 'T', 4] },
    wrt: ['past', 'cur'],
    build: (g, x) => {
      const y = g.concat([x.past!, x.cur!], { axis: 1 });
      assert.deepEqual(y.shape, ['B', 'P+T', 4]);
      return y;
    },
  });
});

test('Slice: positive, negative and open bounds; symbolic [:, :-1] and [:, 1:]', async (t) => {
  const r = inputs(403);
  await expectGradients(t, 'Slice', {
    inputs: { x: r.normal([4, 5, 3]) },
    wrt: ['x'],
    build: (g, x) => g.slice(x.x!, { starts: [1, -4], ends: [3, Number.POSITIVE_INFINITY], axes: [0, 1] }),
  });
  await expectGradients(t, 'Slice symbolic', {
    inputs: { x: r.normal([2, 5, 3]) },
    shapes: { x: ['B', 'T', 3] },
    wrt: ['x'],
    build: (g, x) => {
      const head = g.slice(x.x!, { starts: [0], ends: [-1], axes: [1] });
      const tail = g.slice(x.x!, { starts: [1], ends: [Number.POSITIVE_INFINITY], axes: [1] });
      const last = g.slice(x.x!, { starts: [-2], ends: [Number.POSITIVE_INFINITY], axes: [1] });
      assert.deepEqual(head.shape, ['B', 'T-1', 3]);
      assert.deepEqual(tail.shape, ['B', 'T-1', 3]);
      assert.deepEqual(last.shape, ['B', 2, 3]);
      return g.add(g.mul(head, tail), g.reduceSum(last, { axes: [1] }));
    },
  });
});

test('Split: sizes, with one piece unused (its gradient is zeros)', async (t) => {
  const r = inputs(404);
  await expectGradients(t, 'Split', {
    inputs: { x: r.normal([2, 6]) },
    wrt: ['x'],
    build: (g, x) => {
      const [a, , c] = g.split(x.x!, { axis: 1, sizes: [1, 2, 3] });
      return g.add(g.mul(a!, a!), c!);
    },
  });
  await expectGradients(t, 'Split equal pieces', {
    inputs: { x: r.normal([4, 3]) },
    wrt: ['x'],
    build: (g, x) => {
      const [a, b] = g.split(x.x!, { axis: 0, numOutputs: 2 });
      return g.mul(a!, b!);
    },
  });
});

test('Pad: constant padding before and after', async (t) => {
  const r = inputs(405);
  await expectGradients(t, 'Pad', {
    inputs: { x: r.normal([2, 3]) },
    wrt: ['x'],
    build: (g, x) =>
      g.mul(
        g.pad(x.x!, { begins: [1, 0], ends: [2, 1], value: 0.5 }),
        g.pad(x.x!, { begins: [0, 1], ends: [3, 0] }),
      ),
  });
});

test('shape inference: static broadcasting rule and readable errors', () => {
  const g = new GraphBuilder();
  const a = g.input({ name: 'a', dtype: 'float32', shape: ['B', 'T', 8] });
  const b = g.input({ name: 'b', dtype: 'float32', shape: [1, 'S', 8] });
  assert.throws(() => g.add(a, b), /cannot broadcast \[B, T, 8\] with \[1, S, 8\]/);
  const c = g.input({ name: 'c', dtype: 'float64', shape: [8] });
  assert.throws(() => g.mul(a, c), /element types differ/);
  assert.deepEqual(g.matmul(a, g.input({ name: 'w', dtype: 'float32', shape: [8, 3] })).shape, ['B', 'T', 3]);
  assert.throws(
    () => g.reshape(g.constant(tensor.f32([2, 3], [1, 2, 3, 4, 5, 6])), [4, 2]),
    /cannot reshape/,
  );
});
