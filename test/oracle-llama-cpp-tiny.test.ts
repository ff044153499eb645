import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { emitModel } from '../src/graph/onnx/model.ts';
import { createRng } from '../src/graph/random.ts';
import { createSession } from '../src/graph/runtime.ts';
import type { HostTensor } from '../src/graph/tensor.ts';
import type { LlamaConfig } from '../src/models/config.ts';
import { buildGenerationGraph } from '../src/models/llama/generation-graph.ts';
import { openLlamaCpp } from '../src/models/llama/testing/llama-cpp-oracle.ts';
import { maxAbsDiff, promptLogits } from '../src/models/llama/testing/generation-runner.ts';
import { randomWeights, tinyConfig, writeModelGguf } from '../src/models/llama/testing/tiny-llama.ts';

/**
 * Our generation graph against llama.cpp on tiny random models written as F32 GGUF files:
 * `llama` (adjacent-pair RoPE, tied embeddings), `qwen2` (half-split RoPE, q/k/v biases, separate
 * output head) and `qwen3` (half-split RoPE, per-head RMSNorm of q and k). Logits must agree to 1e-4 at every position, for the primitive and the fused form,
 * and for rows of a right-padded batch.
 */
const TOLERANCE = 1e-4;
const SEEDS = { llama: 11, qwen2: 12, qwen3: 13 } as const;

function sequences(vocab: number, seed: number): number[][] {
  const rng = createRng(seed);
  return [40, 23, 7, 1].map((n) => Array.from({ length: n }, () => rng.int(vocab)));
}

for (const architecture of ['llama', 'qwen2', 'qwen3'] as const) {
  describe(`tiny ${architecture} vs llama.cpp (F32 GGUF)`, () => {
    let dir: string;
    let config: LlamaConfig;
    let weights: Map<string, HostTensor>;
    const reference: Float32Array[][] = [];
    const seqs = sequences(260, 5);

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `tiny-${architecture}-`));
      config = tinyConfig({ architecture });
      weights = randomWeights({ config, rng: createRng(SEEDS[architecture]) });
      const path = join(dir, 'tiny.gguf');
      await writeModelGguf({ path, config, weights });
      const oracle = await openLlamaCpp({ modelPath: path, contextSize: 64, vocabSize: config.vocabSize });
      try {
        for (const s of seqs) reference.push(await oracle.logits(s));
      } finally {
        await oracle.dispose();
      }
    });
    after(async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it(`generation graph: logits within ${TOLERANCE} at every position`, async (t) => {
      const g = buildGenerationGraph({ config, weights, allLogits: true });
      const session: InferenceSession = await createSession({ model: emitModel({ graph: g }) });
      try {
        let worst = 0;
        // One sequence at a time, then all of them as one right-padded batch.
        for (const [i, s] of seqs.entries()) {
          const [ours] = await promptLogits({ session, config, prompts: [s] });
          worst = Math.max(worst, maxAbsDiff(ours as Float32Array[], reference[i] as Float32Array[]));
        }
        const batched = await promptLogits({ session, config, prompts: seqs });
        let worstBatched = 0;
        batched.forEach((rows, i) => {
          worstBatched = Math.max(worstBatched, maxAbsDiff(rows, reference[i] as Float32Array[]));
        });
        t.diagnostic(
          `max |ours - llama.cpp|: ${worst.toExponential(2)} single, ${worstBatched.toExponential(2)} right-padded batch`,
        );
        assert.ok(worst <= TOLERANCE, `max abs difference ${worst} > ${TOLERANCE}`);
        assert.ok(
          worstBatched <= TOLERANCE,
          `right-padded batch: max abs difference ${worstBatched} > ${TOLERANCE}`,
        );
      } finally {
        await session.release();
      }
    });
  });
}
