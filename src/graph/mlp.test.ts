import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from './autodiff.ts';
import { GraphBuilder } from './builder.ts';
import type { DType } from './dtype.ts';
import type { Value } from './ir.ts';
import { emitModel } from './onnx/model.ts';
import { getOp } from './ops/registry.ts';
import { createSession, runSession } from './runtime.ts';
import { fromData, type HostTensor, tensor } from './tensor.ts';
import { expectGradients, inputs } from './testing/expect-gradients.ts';

/**
 * A 2-layer MLP with RMSNorm, SiLU, a residual connection (fan-in) and a softmax cross-entropy
 * loss, all from primitives: logits -> LogSoftmax -> GatherElements(labels) -> -mean.
 */
function mlpLoss(g: GraphBuilder, x: Record<string, Value>): Value {
  const h = g.rmsNorm({ x: x.x!, weight: x.norm1!, eps: 1e-5 }); // [N, 6]
  const h1 = g.silu(g.add(g.matmul(h, x.w1!), x.b1!)); // [N, 8]
  const h2 = g.add(h1, g.silu(g.matmul(g.rmsNorm({ x: h1, weight: x.norm2!, eps: 1e-5 }), x.w3!))); // [N, 8]
  const logits = g.add(g.matmul(h2, x.w2!), x.b2!); // [N, 5]
  const picked = g.gatherElements(g.logSoftmax(logits, { axis: 1 }), x.labels!, { axis: 1 }); // [N, 1]
  return g.neg(g.reduceMean(picked, { keepdims: false })); // []
}

const PARAMS = ['norm1', 'w1', 'b1', 'norm2', 'w3', 'w2', 'b2'] as const;

function mlpInputs(seed: number): Record<string, HostTensor> {
  const r = inputs(seed);
  return {
    x: r.normal([4, 6]),
    labels: tensor.i64([4, 1], [0, 3, 4, 3]),
    norm1: r.uniform([6], 0.5, 1.5),
    // Weights ~ U(-1/√fan_in, 1/√fan_in) keep activations O(1), as a real network's would.
    w1: r.uniform([6, 8], -0.4, 0.4),
    b1: r.uniform([8], -0.4, 0.4),
    norm2: r.uniform([8], 0.5, 1.5),
    w3: r.uniform([8, 8], -0.35, 0.35),
    w2: r.uniform([8, 5], -0.35, 0.35),
    b2: r.uniform([5], -0.35, 0.35),
  };
}

test('2-layer MLP with RMSNorm and softmax cross-entropy: gradients match finite differences', async (t) => {
  await expectGradients(t, 'MLP (all parameters and the input)', {
    inputs: mlpInputs(600),
    wrt: [...PARAMS, 'x'],
    build: (g, x) => mlpLoss(g, x),
  });
});

test('MLP gradient graph uses only default-domain ONNX ops and runs in float32 too', async () => {
  const feeds64 = mlpInputs(601);
  const build = (dtype: DType) => {
    const g = new GraphBuilder();
    const x: Record<string, Value> = {};
    for (const [name, t] of Object.entries(feeds64)) {
      x[name] = g.input({ name, dtype: t.dtype === 'float64' ? dtype : t.dtype, shape: t.dims });
    }
    const loss = mlpLoss(g, x);
    g.output(loss, 'loss');
    grad({ graph: g, loss, wrt: PARAMS.map((p) => x[p] as Value) }).forEach((d, i) => {
      g.output(d, `grad_${PARAMS[i]}`);
    });
    return g;
  };
  const g32 = build('float32');
  for (const node of g32.nodes)
    assert.equal(getOp(node.op).domain ?? '', '', `${node.op} is not a default-domain op`);

  const run = async (g: GraphBuilder, feeds: Record<string, HostTensor>) =>
    runSession({ session: await createSession({ model: emitModel({ graph: g }) }), feeds });
  const to32 = (t: HostTensor) =>
    t.dtype === 'float64'
      ? fromData({ dtype: 'float32', dims: t.dims, data: Float32Array.from(t.data as Float64Array) })
      : t;
  const out64 = await run(build('float64'), feeds64);
  const out32 = await run(g32, Object.fromEntries(Object.entries(feeds64).map(([k, v]) => [k, to32(v)])));
  for (const name of ['loss', ...PARAMS.map((p) => `grad_${p}`)]) {
    const a = Array.from(out64[name]?.data as Float64Array);
    const b = Array.from(out32[name]?.data as Float32Array);
    const scale = Math.max(...a.map(Math.abs));
    const err = Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number)))) / scale;
    assert.ok(err < 1e-5, `${name}: float32 differs from float64 by ${err}`);
  }
});
