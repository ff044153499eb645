import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../autodiff.ts';
import { GraphBuilder } from '../builder.ts';
import { expectGradients, inputs } from '../testing/expect-gradients.ts';

test('MatMul: 2-D, batched, and batch broadcasting on either side', async (t) => {
  const r = inputs(300);
  await expectGradients(t, 'MatMul 2-D', {
    inputs: { a: r.normal([3, 4]), b: r.normal([4, 5]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.matmul(x.a!, x.b!),
  });
  await expectGradients(t, 'MatMul batched', {
    inputs: { a: r.normal([2, 3, 4]), b: r.normal([2, 4, 5]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.matmul(x.a!, x.b!),
  });
  await expectGradients(t, 'MatMul [2,3,4] @ [4,5] (weight gradient as one Gemm)', {
    inputs: { a: r.normal([2, 3, 4]), b: r.normal([4, 5]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.matmul(x.a!, x.b!),
  });
  await expectGradients(t, 'MatMul [1,3,4] @ [2,2,4,5] (broadcast batch)', {
    inputs: { a: r.normal([1, 3, 4]), b: r.normal([2, 2, 4, 5]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.matmul(x.a!, x.b!),
  });
});

test('MatMul: 1-D operands', async (t) => {
  const r = inputs(301);
  await expectGradients(t, 'MatMul [4] @ [2,4,5]', {
    inputs: { a: r.normal([4]), b: r.normal([2, 4, 5]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.matmul(x.a!, x.b!),
  });
  await expectGradients(t, 'MatMul [2,3,4] @ [4]', {
    inputs: { a: r.normal([2, 3, 4]), b: r.normal([4]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.matmul(x.a!, x.b!),
  });
  await expectGradients(t, 'MatMul [4] @ [4]', {
    inputs: { a: r.normal([4]), b: r.normal([4]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.matmul(x.a!, x.b!),
  });
});

test('MatMul: symbolic batch and sequence dims, as in x[B,T,C] @ W[C,N]', async (t) => {
  const r = inputs(302);
  await expectGradients(t, 'MatMul symbolic', {
    inputs: { x: r.normal([2, 3, 4]), w: r.normal([4, 5]) },
    shapes: { x: ['B', 'T', 4] },
    wrt: ['x', 'w'],
    build: (g, x) => g.matmul(x.x!, x.w!),
  });
});

test('Gemm: every transpose combination, alpha, beta and a broadcast bias', async (t) => {
  const r = inputs(303);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      await expectGradients(t, `Gemm transA=${transA} transB=${transB}`, {
        inputs: {
          a: r.normal(transA ? [4, 3] : [3, 4]),
          b: r.normal(transB ? [5, 4] : [4, 5]),
          c: r.normal([5]),
        },
        wrt: ['a', 'b', 'c'],
        build: (g, x) => g.gemm({ a: x.a!, b: x.b!, c: x.c!, transA, transB, alpha: 0.7, beta: 1.3 }),
      });
    }
  }
});

test('MatMul: a frozen weight gets no gradient computed (no node produces dW)', () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float32', shape: ['B', 'T', 8] });
  const w = g.input({ name: 'w', dtype: 'float32', shape: [8, 8] });
  const lora = g.input({ name: 'lora', dtype: 'float32', shape: [8, 2] });
  const loss = g.reduceSum(g.matmul(g.matmul(x, w), lora), { keepdims: false });
  const before = g.nodes.length;
  grad({ graph: g, loss, wrt: [lora] });
  const added = g.nodes.slice(before);
  // dLoRA = (x @ w)ᵀ @ dy needs one Gemm; dW (xᵀ @ ...) and dx are never built.
  assert.equal(added.filter((n) => n.op === 'Gemm' || n.op === 'MatMul').length, 1);
});
