import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { saveCheckpoint } from '../engine/checkpoint.ts';
import { type FullState, fullStateOf } from '../engine/full-state.ts';
import { openModel } from '../engine/model-files.ts';
import { createRng } from '../graph/random.ts';
import type { ModelSource } from '../models/config.ts';
import { maxAbsDiff } from '../models/llama/testing/generation-runner.ts';
import { loadWeights } from '../models/llama/weights.ts';
import { exportCheckpoint } from './export-checkpoint.ts';
import {
  type ExportFixture,
  ourLogits,
  tokenSequences,
  writeExportFixture,
} from './testing/export-fixture.ts';

/**
 * A fully fine-tuned checkpoint (every weight of the tiny model moved) exported as a GGUF file
 * (our loader reads back exactly the trained weights) and as a Hugging Face folder (q/k rows in
 * Hugging Face's order: the logits of the trained weights). PEFT, which holds adapters only,
 * refuses it.
 */
describe('anchorage export of a full fine-tuning checkpoint', () => {
  let fx: ExportFixture;
  let trained: FullState;
  let checkpointDir: string;
  before(async () => {
    fx = await writeExportFixture();
    const { source } = await openModel({ path: fx.modelPath });
    trained = fullStateOf({ model: fx.config, weights: await loadWeights({ source }), source: fx.modelPath });
    const rng = createRng(5);
    for (const t of trained.tensors.values()) {
      for (let i = 0; i < t.length; i++) t[i] = Math.fround((t[i] as number) + 0.05 * rng.normal());
    }
    checkpointDir = join(fx.dir, 'full-checkpoint');
    await saveCheckpoint({ dir: checkpointDir, trainable: trained, step: 1 });
  });
  after(() => fx?.dispose());

  it('--format gguf: the exported file holds exactly the trained weights', async () => {
    const out = join(fx.dir, 'full-gguf');
    const result = await exportCheckpoint({
      from: { dir: checkpointDir },
      model: fx.modelPath,
      format: 'gguf',
      out,
    });
    const file = result.files.find((f) => f.name.endsWith('.gguf'));
    assert.ok(file !== undefined);
    const exported = await loadWeights({ source: (await openModel({ path: join(out, file.name) })).source });
    assert.deepEqual([...exported.keys()].sort(), [...trained.tensors.keys()].sort());
    for (const [name, t] of trained.tensors) assert.deepEqual(exported.get(name)?.data, t, name);
  });

  it('--format hf: our Hugging Face loader reads it with the logits of the trained weights', async (t) => {
    const out = join(fx.dir, 'full-hf');
    await exportCheckpoint({ from: { dir: checkpointDir }, model: fx.modelPath, format: 'hf', out });
    const gguf = await openModel({ path: fx.modelPath });
    // The trained policy: the model file with its weights replaced by the checkpoint's.
    const policySource: ModelSource = {
      ...gguf.source,
      config: gguf.source.config,
      loadWeight: async (name) => trained.tensors.get(name) as Float32Array,
    };
    const sequences = tokenSequences({ vocab: fx.config.vocabSize, lengths: [17, 5], seed: 2 });
    const expected = await ourLogits({ source: policySource, sequences });
    const base = await ourLogits({ source: gguf.source, sequences });
    const merged = await ourLogits({ source: (await openModel({ path: out })).source, sequences });
    const diff = Math.max(...sequences.map((_, i) => maxAbsDiff(merged[i]!, expected[i]!)));
    const moved = Math.max(...sequences.map((_, i) => maxAbsDiff(base[i]!, expected[i]!)));
    t.diagnostic(
      `max |HF folder - trained| ${diff.toExponential(2)}; training moved logits by ${moved.toFixed(2)}`,
    );
    assert.ok(moved > 0.1, `the trained weights must change the logits (moved ${moved})`);
    assert.ok(diff <= 1e-4, `max abs difference ${diff}`);
  });

  it('--format peft refuses it, naming the formats that take it', async () => {
    await assert.rejects(
      exportCheckpoint({
        from: { dir: checkpointDir },
        model: fx.modelPath,
        format: 'peft',
        out: join(fx.dir, 'p'),
      }),
      /--format peft writes LoRA adapters; this checkpoint trained every weight \(full\): export it with --format hf or gguf/,
    );
  });
});
