import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../../../graph/builder.ts';
import { emitModel } from '../../../graph/onnx/model.ts';
import { createRng } from '../../../graph/random.ts';
import { createSession, runSession } from '../../../graph/runtime.ts';
import { tensor } from '../../../graph/tensor.ts';
import { floatToHalf } from '../../gguf/float16.ts';
import { buildGenerationGraph } from '../generation-graph.ts';
import { greedyGenerate, maxAbsDiff, promptLogits } from '../testing/generation-runner.ts';
import { randomWeights, tinyConfig } from '../testing/tiny-llama.ts';
import { type AccuracyLevel, bindPacked, matMulNBits } from './matmul-nbits.ts';
import { dequantizePacked, type PackedWeight, packQ4_1, quantizeQ4, quantizeQ8 } from './packed-weight.ts';
import type { PackedWeights } from './quantized-weights.ts';

const [M, N, K] = [5, 40, 96];
const rng = createRng(17);

/** Random Q4_1 blocks (d in (0, 0.02), m in (-0.15, 0)), as a GGUF file stores them. */
function q4_1Bytes(rows: number, cols: number): Uint8Array {
  const out = new Uint8Array((rows * cols * 20) / 32);
  for (let b = 0; b < out.length / 20; b++) {
    const d = floatToHalf(0.02 * rng.uniform());
    const m = floatToHalf(-0.15 * rng.uniform());
    out.set([d & 0xff, d >> 8, m & 0xff, m >> 8], b * 20);
    for (let j = 0; j < 16; j++) out[b * 20 + 4 + j] = rng.int(256);
  }
  return out;
}

/** y = x · Wᵀ in float64 for the values the packed weight stands for. */
function reference(x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (x[m * K + k] as number) * (w[n * K + k] as number);
      y[m * N + n] = s;
    }
  return y;
}

async function runPacked(packed: PackedWeight, x: Float32Array, level: AccuracyLevel): Promise<Float32Array> {
  const g = new GraphBuilder();
  const input = g.input({ name: 'x', dtype: 'float32', shape: ['M', K] });
  const weight = bindPacked({ g, name: 'w', packed });
  g.output(matMulNBits({ g, x: input, weight, accuracyLevel: level }), 'y');
  const session = await createSession({ model: emitModel({ graph: g }) });
  const out = await runSession({ session, feeds: { x: tensor.f32([M, K], x) } });
  await session.release();
  return out['y']?.data as Float32Array;
}

/** Largest |a - b| relative to the largest |b|. */
function relative(a: Float32Array, b: Float64Array): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return worst / scale;
}

describe('MatMulNBits in ONNX Runtime', () => {
  const x = new Float32Array(M * K).map(() => rng.normal());
  const float = new Float32Array(N * K).map(() => rng.normal() * 0.05);
  const weights: Record<string, PackedWeight> = {
    'Q4_1 blocks (integer zero point + residual minimum)': packQ4_1({
      bytes: q4_1Bytes(N, K),
      rows: N,
      cols: K,
    }),
    '4-bit from float': quantizeQ4({ weight: float, rows: N, cols: K }),
    '8-bit from float': quantizeQ8({ weight: float, rows: N, cols: K }),
  };
  for (const [label, packed] of Object.entries(weights)) {
    it(`${label}: float32 activations (level 0) match x · dequant(W)ᵀ; int8 activations (level 4) within 2%`, async () => {
      const expected = reference(x, dequantizePacked(packed));
      assert.ok(relative(await runPacked(packed, x, 0), expected) < 1e-5);
      assert.ok(relative(await runPacked(packed, x, 4), expected) < 2e-2);
    });
  }
});

describe('generation graph with quantised projections', () => {
  const config = tinyConfig();
  const base = randomWeights({ config, rng: createRng(3) });
  const prompts = [
    [5, 9, 17, 3, 250, 8, 1],
    [42, 7],
  ];
  // Every projection packed (the 8-bit head is checked above: the tied embedding table must stay
  // float32 for the lookup); the float graph gets the same, dequantised values.
  const packed = new Map<string, PackedWeight>();
  const dequantised = new Map(base);
  for (const [name, t] of base) {
    if (t.dims.length !== 2 || name === 'token_embd.weight') continue;
    const [rows, cols] = t.dims as [number, number];
    const p = quantizeQ4({ weight: t.data as Float32Array, rows, cols });
    packed.set(name, p);
    dequantised.set(name, { ...t, data: dequantizePacked(p) });
  }

  const run = async (quantized?: { weights: PackedWeights; accuracyLevel: AccuracyLevel }) => {
    const graph = buildGenerationGraph({
      config,
      weights: dequantised,
      allLogits: true,
      ...(quantized === undefined ? {} : { quantized }),
    });
    const session = await createSession({ model: emitModel({ graph }) });
    const logits = await promptLogits({ session, config, prompts });
    const greedy = await greedyGenerate({ session, config, prompts, steps: 8 });
    await session.release();
    return { logits: logits.flat(), tokens: greedy.tokens };
  };

  it('level 0 computes the same model as float32 Gemm on the dequantised weights; KV-cache decoding agrees', async () => {
    const float = await run();
    const q4 = await run({ weights: packed, accuracyLevel: 0 });
    const diff = maxAbsDiff(q4.logits, float.logits);
    assert.ok(diff < 1e-4, `logits differ by ${diff}`);
    assert.deepEqual(q4.tokens, float.tokens);
  });
});
