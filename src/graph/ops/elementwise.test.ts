import { test } from 'node:test';
import { tensor } from '../tensor.ts';
import { expectGradients, inputs } from '../testing/expect-gradients.ts';

test('Add: same shape, broadcast and a number operand', async (t) => {
  const r = inputs(1);
  await expectGradients(t, 'Add', {
    inputs: { a: r.normal([2, 3, 4]), b: r.normal([3, 1]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.add(g.add(x.a!, x.b!), 1.5),
  });
});

test('Sub: broadcast on both sides', async (t) => {
  const r = inputs(2);
  await expectGradients(t, 'Sub', {
    inputs: { a: r.normal([2, 1, 4]), b: r.normal([3, 4]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.sub(x.a!, x.b!),
  });
});

test('Mul: broadcast and fan-in (x * x * b)', async (t) => {
  const r = inputs(3);
  await expectGradients(t, 'Mul', {
    inputs: { a: r.normal([2, 3]), b: r.normal([1, 3]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.mul(g.mul(x.a!, x.a!), x.b!),
  });
});

test('Div: broadcast numerator and denominator', async (t) => {
  const r = inputs(4);
  await expectGradients(t, 'Div', {
    inputs: { a: r.normal([2, 3]), b: r.positive([2, 1]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.div(x.a!, x.b!),
  });
});

test('Pow: constant exponents and a tensor exponent', async (t) => {
  const r = inputs(5);
  await expectGradients(t, 'Pow (constant 3, 0.5, -1.5)', {
    inputs: { a: r.positive([3, 4]) },
    wrt: ['a'],
    build: (g, x) => g.add(g.add(g.pow(x.a!, 3), g.pow(x.a!, 0.5)), g.pow(x.a!, -1.5)),
  });
  await expectGradients(t, 'Pow (tensor exponent, broadcast)', {
    inputs: { a: r.positive([3, 4]), b: r.normal([4]) },
    wrt: ['a', 'b'],
    build: (g, x) => g.pow(x.a!, x.b!),
  });
});

test('Max and Min: broadcast, gradient to the winning operand', async (t) => {
  const r = inputs(6);
  const feeds = { a: r.normal([3, 4]), b: r.normal([4]) };
  await expectGradients(t, 'Max', { inputs: feeds, wrt: ['a', 'b'], build: (g, x) => g.max(x.a!, x.b!) });
  await expectGradients(t, 'Min', { inputs: feeds, wrt: ['a', 'b'], build: (g, x) => g.min(x.a!, x.b!) });
});

test('Sum: three operands with broadcasting', async (t) => {
  const r = inputs(7);
  await expectGradients(t, 'Sum', {
    inputs: { a: r.normal([2, 3]), b: r.normal([3]), c: r.normal([2, 1]) },
    wrt: ['a', 'b', 'c'],
    build: (g, x) => g.sum([x.a!, x.b!, x.c!]),
  });
});

test('Where: bool mask broadcast against both branches', async (t) => {
  const r = inputs(8);
  await expectGradients(t, 'Where', {
    inputs: {
      cond: tensor.bool([3, 1], [true, false, true]),
      a: r.normal([3, 4]),
      b: r.normal([4]),
    },
    wrt: ['a', 'b'],
    build: (g, x) => g.where({ cond: x.cond!, ifTrue: x.a!, ifFalse: x.b! }),
  });
});
