import { GraphBuilder } from '../../graph/builder.ts';
import { emitModel } from '../../graph/onnx/model.ts';
import { createRng } from '../../graph/random.ts';
import { createSession, runSession } from '../../graph/runtime.ts';
import { tensor } from '../../graph/tensor.ts';

/** The machine's float32 GEMM rate through ONNX Runtime: an n×n by n×n MatMul, best of `repeats`. */
export async function measureGemmGflops(options: {
  threads: number;
  n?: number;
  repeats?: number;
}): Promise<number> {
  const n = options.n ?? 1024;
  const g = new GraphBuilder();
  const a = g.input({ name: 'a', dtype: 'float32', shape: [n, n] });
  const b = g.input({ name: 'b', dtype: 'float32', shape: [n, n] });
  g.output(g.matmul(a, b), 'c');
  const session = await createSession({ model: emitModel({ graph: g }), threads: options.threads });
  const rng = createRng(1);
  const feeds = {
    a: tensor.uniform({ dtype: 'float32', dims: [n, n], rng }),
    b: tensor.uniform({ dtype: 'float32', dims: [n, n], rng }),
  };
  await runSession({ session, feeds });
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < (options.repeats ?? 5); i++) {
    const started = performance.now();
    await runSession({ session, feeds });
    best = Math.min(best, performance.now() - started);
  }
  await session.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}
