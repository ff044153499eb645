/**
 * Embedding-table gradient: scatter-add (the Gather rule) vs a one-hot MatMul, on ONNX Runtime CPU.
 * Prints milliseconds per run. Usage: node --import tsx src/graph/bench/embedding-grad.bench.ts
 * [vocab] [width] [rows]
 */
import { grad } from '../autodiff.ts';
import { GraphBuilder } from '../builder.ts';
import type { DType } from '../dtype.ts';
import { emitModel } from '../onnx/model.ts';
import { createRng } from '../random.ts';
import { createSession, runSession } from '../runtime.ts';
import { randint, randn } from '../tensor.ts';

const [vocab, width, rows] = process.argv.slice(2).map(Number) as [number?, number?, number?];
const V = vocab ?? 49152;
const C = width ?? 576;
const N = rows ?? 256;

async function time(label: string, dtype: 'float32' | 'float64', oneHot: boolean) {
  const g = new GraphBuilder();
  const table = g.input({ name: 'table', dtype, shape: [V, C] });
  const ids = g.input({ name: 'ids', dtype: 'int64', shape: ['N'] });
  const dy = g.input({ name: 'dy', dtype, shape: ['N', C] });
  if (oneHot) {
    // onehot[N, V] = (ids[:, None] == range(V)); dTable = onehotᵀ @ dy
    const hot = g.cast(g.equal(g.unsqueeze(ids, [1]), g.range({ start: 0, limit: V })), dtype as DType);
    g.output(g.gemm({ a: hot, b: dy, transA: true }), 'dtable');
  } else {
    const y = g.gather(table, ids);
    const [dt] = grad({ graph: g, loss: y, wrt: [table], seed: dy });
    g.output(dt!, 'dtable');
  }
  const rng = createRng(1);
  const session = await createSession({ model: emitModel({ graph: g }) });
  const feeds = {
    table: randn({ dtype, dims: [V, C], rng }),
    ids: randint({ dims: [N], rng, high: V }),
    dy: randn({ dtype, dims: [N, C], rng }),
  };
  await runSession({ session, feeds });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await runSession({ session, feeds });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(28)} ${dtype}  median ${times[2]?.toFixed(1)} ms`);
}

console.log(`embedding gradient, vocab ${V}, width ${C}, rows ${N}, 1 thread`);
for (const dtype of ['float32', 'float64'] as const) {
  await time('ScatterND add (Gather rule)', dtype, false);
  await time('one-hot Gemm', dtype, true);
}
