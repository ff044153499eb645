import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../graph/builder.ts';
import { emitModel } from '../../graph/onnx/model.ts';
import { createSession, runSession } from '../../graph/runtime.ts';
import { tensor } from '../../graph/tensor.ts';
import { ValidationError } from '../../util/errors.ts';
import { EngineError } from '../errors.ts';
import { SessionHost } from './session-host.ts';

/** y = x + bias, and z = sum(x * w). */
function smallModel() {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float32', shape: ['N'] });
  const bias = g.input({ name: 'bias', dtype: 'float32', shape: [1] });
  g.output(g.add(x, bias), 'y');
  g.output(g.reduceSum(g.mul(x, x), { keepdims: false }), 'z');
  return emitModel({ graph: g });
}

/** Repeated [n, n] matrix products: long enough that a blocked event loop would show. */
function heavyModel(n: number, depth: number) {
  const g = new GraphBuilder();
  const x = g.input({ name: 'x', dtype: 'float32', shape: [n, n] });
  let h = x;
  for (let i = 0; i < depth; i++) h = g.tanh(g.matmul(h, x));
  g.output(h, 'y');
  return emitModel({ graph: g });
}

test('runs a session in the worker: outputs, bound inputs, fetches, transfer', async () => {
  const host = await SessionHost.start();
  try {
    const session = await host.createSession({ model: smallModel() });
    assert.deepEqual([...session.inputNames].sort(), ['bias', 'x']);
    await session.bind({ feeds: { bias: tensor.f32([1], [10]) } });
    const x = tensor.f32([3], [1, 2, 3]);
    const { outputs } = await session.run({ feeds: { x } });
    assert.deepEqual(Array.from(outputs['y']!.data as Float32Array), [11, 12, 13]);
    assert.deepEqual(Array.from(outputs['z']!.data as Float32Array), [14]);
    assert.equal(x.data.length, 3, 'feeds are copied unless transfer is set');

    // A run's own feed overrides the bound one; fetches limit the outputs; transfer moves buffers.
    const moved = tensor.f32([2], [5, 6]);
    const only = await session.run({
      feeds: { x: moved, bias: tensor.f32([1], [0]) },
      fetches: ['y'],
      transfer: true,
    });
    assert.deepEqual(Object.keys(only.outputs), ['y']);
    assert.deepEqual(Array.from(only.outputs['y']!.data as Float32Array), [5, 6]);
    assert.equal(moved.data.length, 0, 'a transferred feed is detached in the caller');
  } finally {
    await host.close();
  }
});

test('errors come back with their messages and the worker keeps serving', async () => {
  const host = await SessionHost.start();
  try {
    const session = await host.createSession({ model: smallModel() });
    await assert.rejects(
      session.run({ feeds: { x: tensor.f32([2], [1, 2]) } }),
      (err: Error) => err instanceof EngineError && /bias/.test(err.message),
    );
    await assert.rejects(
      session.run({ feeds: { x: tensor.f32([1], [1]), bias: tensor.f32([1], [0]) }, fetches: ['nope'] }),
      /nope/,
    );
    await assert.rejects(
      host.createSession({ model: { model: new Uint8Array([1, 2, 3]), usesFloat64: false } }),
      EngineError,
    );
    // Validation of the protocol itself: a tensor whose data does not match its dims.
    const bad = { dtype: 'float32' as const, dims: [4], data: new Float32Array(2) };
    await assert.rejects(session.run({ feeds: { x: bad } }), (err: Error) => {
      assert.ok(err instanceof ValidationError);
      assert.match(err.message, /feeds\.x\.data/);
      assert.match(err.message, /need 4/);
      return true;
    });
    const { outputs } = await session.run({ feeds: { x: tensor.f32([1], [2]), bias: tensor.f32([1], [1]) } });
    assert.deepEqual(Array.from(outputs['y']!.data as Float32Array), [3]);
    await session.release();
    await assert.rejects(session.run({ feeds: {} }), /no session/);
  } finally {
    await host.close();
  }
});

test('the CUDA provider: a session where its libraries are installed, a clear refusal where not', async () => {
  const host = await SessionHost.start({ executionProvider: 'cuda' });
  try {
    let session: Awaited<ReturnType<typeof host.createSession>> | undefined;
    try {
      session = await host.createSession({ model: smallModel() });
    } catch (err) {
      // This project's own installs skip onnxruntime-node's CUDA download (.npmrc).
      assert.ok(err instanceof ValidationError, String(err));
      assert.match(err.message, /execution provider 'cuda': ONNX Runtime could not load its CUDA provider/);
      assert.match(err.message, /ANCHORAGE_ORT_CUDA=1/);
    }
    if (session !== undefined) {
      const { outputs } = await session.run({
        feeds: { x: tensor.f32([2], [1, 2]), bias: tensor.f32([1], [1]) },
      });
      assert.deepEqual(Array.from(outputs['y']!.data as Float32Array), [2, 3]);
    }
  } finally {
    await host.close();
  }
});

test('close ends the worker; later requests fail with a retryable error', async () => {
  const host = await SessionHost.start();
  await host.createSession({ model: smallModel() });
  await host.close();
  await assert.rejects(host.createSession({ model: smallModel() }), (err: Error) => {
    assert.ok(err instanceof EngineError);
    assert.equal(err.retryable, true);
    return true;
  });
  await host.close(); // idempotent
});

/** Gaps between event-loop turns (setInterval callbacks) while `work` runs. */
async function loopGaps(work: () => Promise<unknown>) {
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 1);
  await new Promise((r) => setTimeout(r, 5));
  const start = performance.now();
  await work();
  const end = performance.now();
  clearInterval(timer);
  const inside = [start, ...ticks.filter((t) => t > start && t < end), end];
  const gaps = inside.slice(1).map((t, i) => t - (inside[i] as number));
  return { durationMs: end - start, ticks: inside.length - 2, maxGapMs: Math.max(...gaps) };
}

test('the main event loop keeps turning while a heavy session runs in the worker', async () => {
  const model = heavyModel(256, 40);
  const x = tensor.f32(
    [256, 256],
    Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i) * 0.05),
  );

  // Control: the same run on the main thread blocks the loop for (nearly) its whole duration.
  const local = await createSession({ model });
  await runSession({ session: local, feeds: { x } });
  const blocked = await loopGaps(async () => {
    for (let i = 0; i < 3; i++) await runSession({ session: local, feeds: { x } });
  });
  await local.release();

  const host = await SessionHost.start();
  try {
    const session = await host.createSession({ model });
    await session.run({ feeds: { x } });
    const free = await loopGaps(async () => {
      for (let i = 0; i < 3; i++) await session.run({ feeds: { x } });
    });
    // The control shows the work is long enough to notice a blocked loop...
    assert.ok(
      blocked.maxGapMs > blocked.durationMs / 4,
      `control: longest loop gap ${blocked.maxGapMs.toFixed(1)} ms of ${blocked.durationMs.toFixed(1)} ms`,
    );
    // ...and in the worker the loop never waits on a run.
    assert.ok(free.ticks >= 10, `only ${free.ticks} interval ticks in ${free.durationMs.toFixed(1)} ms`);
    assert.ok(
      free.maxGapMs < free.durationMs / 4,
      `worker: longest loop gap ${free.maxGapMs.toFixed(1)} ms of ${free.durationMs.toFixed(1)} ms`,
    );
  } finally {
    await host.close();
  }
});
