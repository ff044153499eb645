import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from './builder.ts';
import { broadcastShapes, dimAdd, dimProduct, dimQuotient, dimSum } from './dims.ts';
import { emitModel } from './onnx/model.ts';
import { createSession, runSession } from './runtime.ts';
import { tensor } from './tensor.ts';

test('broadcasting is decided statically: equal dims or a literal 1', () => {
  assert.deepEqual(broadcastShapes([['B', 'T', 8], [8]], 'x'), ['B', 'T', 8]);
  assert.deepEqual(
    broadcastShapes(
      [
        ['B', 1, 'T'],
        [1, 'H', 'T'],
      ],
      'x',
    ),
    ['B', 'H', 'T'],
  );
  assert.throws(
    () => broadcastShapes([['T'], [5]], 'node add_3'),
    /node add_3: cannot broadcast \[T\] with \[5\]/,
  );
  assert.throws(() => broadcastShapes([['T'], ['S']], 'x'), /dimensions T and S differ/);
});

test('symbolic dimension arithmetic', () => {
  assert.equal(dimAdd('T', -1), 'T-1');
  assert.equal(dimAdd('T-1', 1), 'T');
  assert.equal(dimAdd(4, 2), 6);
  assert.equal(dimSum(['T', 'P', 2]), 'P+T+2');
  assert.equal(dimProduct(['T', 'B', 3]), '3*B*T');
  assert.equal(dimQuotient(['B', 'T', 8], [8]), 'B*T');
  assert.equal(dimQuotient(['B*T', 576], ['B', 9]), '64*T');
  assert.match(String(dimQuotient(['B', 'T'], ['S'])), /^\?/);
});

test('dims named by expressions are computed at run time from the inputs that carry them', async () => {
  const g = new GraphBuilder();
  g.input({ name: 'x', dtype: 'float32', shape: ['B', 'T'] });
  g.input({ name: 'past', dtype: 'float32', shape: ['B', 'P'] });
  g.output(g.shapeTensor(['B*T', 'P+T', 'T-1', 7]), 'dims');
  const session = await createSession({ model: emitModel({ graph: g }) });
  const out = await runSession({
    session,
    feeds: { x: tensor.f32([2, 5], new Array(10).fill(0)), past: tensor.f32([2, 3], new Array(6).fill(0)) },
  });
  assert.deepEqual(Array.from(out['dims']?.data as BigInt64Array, Number), [10, 8, 4, 7]);
});
