import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InferenceSession } from 'onnxruntime-node';
import { GraphBuilder } from '../builder.ts';
import { createRng } from '../random.ts';
import { createSession, runSession, toOrt } from '../runtime.ts';
import { randn, tensor } from '../tensor.ts';
import { writeModelFiles } from './files.ts';
import { emitModel } from './model.ts';

/** y = x @ W + b with a 64 KiB weight (an initializer) and a small bias. */
function linearGraph() {
  const rng = createRng(9);
  const g = new GraphBuilder({ name: 'linear' });
  const x = g.input({ name: 'x', dtype: 'float32', shape: ['N', 128] });
  const w = g.initializer({ name: 'w', tensor: randn({ dtype: 'float32', dims: [128, 128], rng }) });
  const b = g.initializer({ name: 'b', tensor: randn({ dtype: 'float32', dims: [128], rng }) });
  g.output(g.add(g.matmul(x, w), b), 'y');
  return { g, x: randn({ dtype: 'float32', dims: [2, 128], rng }) };
}

test('weights go to a side file past the size threshold and load through externalData', async () => {
  const { g, x } = linearGraph();
  const inline = emitModel({ graph: g });
  assert.equal(inline.external, undefined);
  const split = emitModel({ graph: g, externalData: { location: 'linear.weights', maxInlineBytes: 4096 } });
  const external = split.external;
  assert.ok(external !== undefined);
  // The 64 KiB weight moved out; the 512-byte bias stays inline (below minExternalBytes).
  assert.equal(external.byteLength, 128 * 128 * 4);
  assert.ok(split.model.byteLength < 4096);
  assert.ok(inline.model.byteLength > 128 * 128 * 4);

  const want = await runSession({ session: await createSession({ model: inline }), feeds: { x } });
  const got = await runSession({ session: await createSession({ model: split }), feeds: { x } });
  assert.deepEqual(got['y']?.data, want['y']?.data);

  // The same pair written to disk loads from the model's path, with the side file beside it.
  const dir = await mkdtemp(join(tmpdir(), 'anchorage-onnx-'));
  try {
    const path = await writeModelFiles({ model: split, dir, fileName: 'linear.onnx' });
    assert.equal((await stat(join(dir, external.location))).size, external.byteLength);
    const session = await InferenceSession.create(path);
    const out = await session.run({ x: toOrt(x) });
    assert.deepEqual(out['y']?.data, want['y']?.data);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('several external tensors keep their own offsets', async () => {
  const rng = createRng(10);
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float64', shape: [3] });
  let y = x;
  for (let i = 0; i < 3; i++) {
    y = g.add(y, g.initializer({ name: `c${i}`, tensor: randn({ dtype: 'float64', dims: [3], rng }) }));
  }
  g.output(y, 'y');
  const model = emitModel({
    graph: g,
    externalData: { location: 'c.bin', maxInlineBytes: 0, minExternalBytes: 1 },
  });
  assert.equal(model.external?.chunks.filter((c) => c.byteLength === 24).length, 3);
  const inline = emitModel({ graph: g });
  const feeds = { x: tensor.f64([3], [1, 2, 3]) };
  const a = await runSession({ session: await createSession({ model }), feeds });
  const b = await runSession({ session: await createSession({ model: inline }), feeds });
  assert.deepEqual(a['y']?.data, b['y']?.data);
});

test('only nodes the selected outputs need are emitted; symbolic dims reach ONNX Runtime', async () => {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float32', shape: ['B', 'T'] });
  g.output(g.exp(x), 'e');
  g.output(g.log(g.add(x, 1)), 'l');
  const all = emitModel({ graph: g });
  const one = emitModel({ graph: g, outputs: ['e'] });
  assert.ok(one.model.byteLength < all.model.byteLength);
  const session = await createSession({ model: one });
  assert.deepEqual(session.outputNames, ['e']);
  assert.deepEqual(session.inputMetadata[0], {
    name: 'x',
    isTensor: true,
    type: 'float32',
    shape: ['B', 'T'],
  });
  assert.throws(() => emitModel({ graph: g, outputs: ['nope'] }), /has no output 'nope'/);
});

test('intermediate shapes are declared as value_info (symbols kept) unless turned off', async () => {
  const g = new GraphBuilder({ name: 'chain' });
  const x = g.input({ name: 'x', dtype: 'float32', shape: ['B', 8] });
  const h = g.reshape(g.add(x, 1), [-1, 4]);
  g.output(g.mul(h, 2), 'y');
  // Strings are length-prefixed in protobuf: match the length byte too, so no longer name counts.
  const count = (bytes: Uint8Array, text: string) =>
    Buffer.from(bytes)
      .toString('latin1')
      .split(String.fromCharCode(text.length) + text).length - 1;
  const named = h.name;
  const withInfo = emitModel({ graph: g });
  const without = emitModel({ graph: g, valueInfo: false });
  // The intermediate's name appears once more: its value_info entry.
  assert.ok(count(without.model, named) >= 2);
  assert.equal(count(withInfo.model, named), count(without.model, named) + 1);
  const feeds = {
    x: tensor.f32(
      [3, 8],
      Array.from({ length: 24 }, (_, i) => i),
    ),
  };
  const a = await runSession({ session: await createSession({ model: withInfo }), feeds });
  const b = await runSession({ session: await createSession({ model: without }), feeds });
  assert.deepEqual(a['y']?.data, b['y']?.data);
  assert.deepEqual(a['y']?.dims, [6, 4]);
});
