import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openModel } from '../src/engine/model-files.ts';
import { Policy } from '../src/engine/policy.ts';
import { exportCheckpoint } from '../src/export/export-checkpoint.ts';
import {
  type ExportFixture,
  ourLogits,
  tokenSequences,
  writeExportFixture,
} from '../src/export/testing/export-fixture.ts';
import { readGgufHeader } from '../src/models/gguf/gguf-reader.ts';
import { openLlamaCpp } from '../src/models/llama/testing/llama-cpp-oracle.ts';
import { maxAbsDiff } from '../src/models/llama/testing/generation-runner.ts';

/**
 * `anchorage export --format gguf` against llama.cpp (node-llama-cpp): the merged file loads, its
 * logits equal ours for the base GGUF with the adapters (F32 file: within 1e-4), and its greedy
 * continuations equal our engine's (Policy.generate at temperature 0 with the checkpoint folder)
 * on every prompt. The F16 file loads too; its logits differ by the F16 rounding of the weights.
 */
const TOLERANCE = 1e-4;
const STEPS = 24;
const PROMPTS = [
  'The ferry left at dawn',
  'Write a haiku about rain.',
  'x',
  '1, 2, 3, 4,',
  'Dear Sir or Madam',
];

for (const architecture of ['llama', 'qwen2'] as const) {
  describe(`merged GGUF export of a tiny ${architecture} checkpoint vs llama.cpp`, () => {
    let fx: ExportFixture;
    before(async () => {
      fx = await writeExportFixture({ architecture, seed: architecture === 'llama' ? 41 : 42 });
      for (const dtype of ['f32', 'f16']) {
        await exportCheckpoint({
          from: { dir: fx.checkpointDir },
          model: fx.modelPath,
          format: 'gguf',
          dtype,
          out: join(fx.dir, dtype),
        });
      }
    });
    after(() => fx?.dispose());

    it(`F32: logits within ${TOLERANCE} of ours with the adapters; F16 loads and is close`, async (t) => {
      const sequences = tokenSequences({ vocab: fx.config.vocabSize, lengths: [30, 8, 1], seed: 3 });
      const { source } = await openModel({ path: fx.modelPath });
      const ours = await ourLogits({ source, lora: fx.lora, sequences });
      const base = await ourLogits({ source, sequences });
      const worst: Record<string, number> = {};
      for (const dtype of ['f32', 'f16']) {
        const path = join(fx.dir, dtype, 'model.gguf');
        const header = await readGgufHeader({ path });
        assert.equal(header.metadata.number('general.file_type'), dtype === 'f32' ? 0 : 1);
        const oracle = await openLlamaCpp({
          modelPath: path,
          contextSize: 64,
          vocabSize: fx.config.vocabSize,
        });
        try {
          let w = 0;
          for (const [i, s] of sequences.entries())
            w = Math.max(w, maxAbsDiff(await oracle.logits(s), ours[i]!));
          worst[dtype] = w;
        } finally {
          await oracle.dispose();
        }
      }
      const moved = Math.max(...sequences.map((_, i) => maxAbsDiff(base[i]!, ours[i]!)));
      t.diagnostic(
        `max |llama.cpp(merged GGUF) - ours(base + adapters)|: F32 ${worst['f32']!.toExponential(2)}, F16 ${worst['f16']!.toExponential(2)}; the adapters move logits by ${moved.toFixed(2)}`,
      );
      assert.ok(moved > 0.5, 'the adapters change the logits');
      assert.ok(worst['f32']! <= TOLERANCE, `F32: max abs difference ${worst['f32']}`);
      assert.ok(worst['f16']! <= 0.05, `F16: max abs difference ${worst['f16']}`);
    });

    it(`F32: llama.cpp's greedy continuations equal our engine's with the checkpoint (${PROMPTS.length} prompts, ${STEPS} tokens)`, async (t) => {
      const policy = await Policy.load({ model: fx.modelPath, checkpoint: fx.checkpointDir, threads: 1 });
      const oracle = await openLlamaCpp({
        modelPath: join(fx.dir, 'f32', 'model.gguf'),
        contextSize: 64,
        vocabSize: fx.config.vocabSize,
      });
      const base = await Policy.load({ model: fx.modelPath, threads: 1 });
      try {
        const prompts = PROMPTS.map((text) => ({ text }));
        const sampling = { temperature: 0, maxNewTokens: STEPS, stopIds: [] };
        const { results } = await policy.generate({ prompts, sampling });
        const baseline = await base.generate({ prompts, sampling });
        let differFromBase = 0;
        for (const [i, r] of results.entries()) {
          const theirs = await oracle.greedy(r.promptIds, STEPS);
          assert.deepEqual(r.tokenIds, theirs.tokens, `prompt ${JSON.stringify(PROMPTS[i])}`);
          if (r.tokenIds.join() !== baseline.results[i]!.tokenIds.join()) differFromBase++;
        }
        t.diagnostic(
          `${PROMPTS.length} of ${PROMPTS.length} continuations identical (${STEPS} tokens each); ${differFromBase} differ from the base model's`,
        );
        assert.ok(differFromBase > 0, 'the adapters change some continuation');
      } finally {
        await Promise.all([policy.close(), base.close(), oracle.dispose()]);
      }
    });
  });
}
