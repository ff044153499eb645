import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { saveCheckpoint } from '../src/engine/checkpoint.ts';
import { initLoraState } from '../src/engine/lora-state.ts';
import { openModel } from '../src/engine/model-files.ts';
import { exportCheckpoint } from '../src/export/export-checkpoint.ts';
import {
  type ExportFixture,
  ourLogits,
  tokenSequences,
  writeExportFixture,
} from '../src/export/testing/export-fixture.ts';
import { maxAbsDiff } from '../src/models/llama/testing/generation-runner.ts';
import { readTensorFile } from '../src/models/llama/testing/tensor-file.ts';

/**
 * `anchorage export` against PyTorch (scripts/torch-oracle/hf_peft_oracle.py, torch only: PEFT and
 * transformers are not installed in the venv, so the adapter is applied by PEFT's documented rule
 * W + (lora_alpha / r)·B·A to the parameters its tensor names name). Two checks per architecture:
 * the exported PEFT adapter on the base model's Hugging Face weights, and the exported merged
 * Hugging Face folder, each against our logits for the GGUF base with the adapters, within 1e-4.
 * The Hugging Face base is the export of an all-zero adapter (W + 0), so the llama case also checks
 * that q/k move to half-split order consistently in the weights and in the adapter's B.
 */
const PYTHON = resolve('.tools/torch-venv/bin/python');
const ORACLE = resolve('scripts/torch-oracle/hf_peft_oracle.py');
const TOLERANCE = 1e-4;
const run = promisify(execFile);

async function torchLogits(options: {
  dir: string;
  model: string;
  adapter: string | null;
  sequences: readonly (readonly number[])[];
  name: string;
}): Promise<Float32Array[][]> {
  assert.ok(existsSync(PYTHON), `the PyTorch venv ${PYTHON} is missing: run \`bash scripts/setup-torch.sh\``);
  const job = join(options.dir, `${options.name}.json`);
  const out = join(options.dir, `${options.name}.safetensors`);
  await writeFile(
    job,
    JSON.stringify({ model: options.model, adapter: options.adapter, sequences: options.sequences }),
  );
  await run(PYTHON, [ORACLE, job, out], {
    env: { ...process.env, PYTHONWARNINGS: 'ignore', PYTHONDONTWRITEBYTECODE: '1' },
  });
  const tensors = await readTensorFile(out);
  return options.sequences.map((s, i) => {
    const t = tensors.get(`logits.${i}`);
    assert.ok(t !== undefined, `logits.${i}`);
    const [T, V] = t.dims as [number, number];
    assert.equal(T, s.length);
    return Array.from({ length: T }, (_, p) =>
      Float32Array.from((t.data as Float64Array).subarray(p * V, (p + 1) * V)),
    );
  });
}

for (const architecture of ['llama', 'qwen2'] as const) {
  describe(`export of a tiny ${architecture} checkpoint vs PyTorch`, () => {
    let fx: ExportFixture;
    const sequences = tokenSequences({ vocab: 260, lengths: [24, 9, 1], seed: 7 });
    let ours: Float32Array[][];
    let base: Float32Array[][];
    before(async () => {
      fx = await writeExportFixture({ architecture, seed: architecture === 'llama' ? 31 : 32 });
      const zero = join(fx.dir, 'zero-checkpoint');
      await saveCheckpoint({
        dir: zero,
        trainable: initLoraState({ model: fx.config, lora: fx.lora.config, seed: 0 }),
        step: 0,
      });
      const model = fx.modelPath;
      await exportCheckpoint({ from: { dir: zero }, model, format: 'hf', out: join(fx.dir, 'hf-base') });
      await exportCheckpoint({
        from: { dir: fx.checkpointDir },
        model,
        format: 'peft',
        out: join(fx.dir, 'peft'),
      });
      await exportCheckpoint({
        from: { dir: fx.checkpointDir },
        model,
        format: 'hf',
        out: join(fx.dir, 'hf-merged'),
      });
      const { source } = await openModel({ path: model });
      ours = await ourLogits({ source, lora: fx.lora, sequences });
      base = await ourLogits({ source, sequences });
    });
    after(() => fx?.dispose());

    const compare = (torch: Float32Array[][]) =>
      Math.max(...sequences.map((_, i) => maxAbsDiff(torch[i]!, ours[i]!)));
    const moved = () => Math.max(...sequences.map((_, i) => maxAbsDiff(base[i]!, ours[i]!)));

    it(`the PEFT adapter applied by torch to the Hugging Face base: logits within ${TOLERANCE}`, async (t) => {
      const torch = await torchLogits({
        dir: fx.dir,
        model: join(fx.dir, 'hf-base'),
        adapter: join(fx.dir, 'peft'),
        sequences,
        name: 'peft',
      });
      const diff = compare(torch);
      t.diagnostic(
        `max |torch(HF base + PEFT) - ours(GGUF + adapters)| ${diff.toExponential(2)} (adapters move logits by ${moved().toFixed(2)})`,
      );
      assert.ok(moved() > 0.5, 'the adapters change the logits');
      assert.ok(diff <= TOLERANCE, `max abs difference ${diff}`);
    });

    it(`the merged Hugging Face folder in torch: logits within ${TOLERANCE}`, async (t) => {
      const torch = await torchLogits({
        dir: fx.dir,
        model: join(fx.dir, 'hf-merged'),
        adapter: null,
        sequences,
        name: 'merged',
      });
      const diff = compare(torch);
      t.diagnostic(`max |torch(merged HF folder) - ours(GGUF + adapters)| ${diff.toExponential(2)}`);
      assert.ok(diff <= TOLERANCE, `max abs difference ${diff}`);
    });
  });
}
