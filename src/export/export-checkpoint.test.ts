import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadAdapterFolder } from '../engine/adapter-folder.ts';
import { saveCheckpoint } from '../engine/checkpoint.ts';
import { initLoraState } from '../engine/lora-state.ts';
import { openModel } from '../engine/model-files.ts';
import { maxAbsDiff } from '../models/llama/testing/generation-runner.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import { putCheckpoint } from '../train/checkpoint-store.ts';
import { commitOnce } from '../step/commit.ts';
import { runRefs } from '../train/run-refs.ts';
import { storeRunConfig } from '../train/stored-config.ts';
import { ValidationError } from '../util/errors.ts';
import { exportCheckpoint } from './export-checkpoint.ts';
import {
  type ExportFixture,
  ourLogits,
  tokenSequences,
  writeExportFixture,
} from './testing/export-fixture.ts';

/** Nothing but `names` in the fixture folder: no output folder, no temporary sibling left behind. */
function assertNothingWritten(fixture: ExportFixture, names: readonly string[]): void {
  assert.deepEqual(readdirSync(fixture.dir).sort(), [...names].sort());
}

describe('anchorage export (tiny llama GGUF base, adapters on every projection)', () => {
  let fx: ExportFixture;
  let store: LocalFolderStore;
  const trainRunId = 'export-run';
  before(async () => {
    fx = await writeExportFixture();
    store = new LocalFolderStore({ root: join(fx.dir, 'store') });
    const configFile = join(fx.dir, 'run.yaml');
    const text = `name: export\nmodel: { path: ${fx.modelPath}, name: tiny-llama }\nsteps: 4\n`;
    await writeFile(configFile, text);
    await storeRunConfig({ store, trainRunId, file: configFile, text });
    const { address } = await putCheckpoint({
      store,
      trainRunId,
      step: 2,
      parent: null,
      trainable: fx.lora,
      optimizer: undefined,
      optimizerSteps: 2,
      update: {
        applied: true,
        learningRate: 0.01,
        metrics: {},
        sequences: 1,
        tokens: 1,
        ms: 1,
        attempt: 1,
        worker: 't',
      },
    });
    await commitOnce({ store, ref: runRefs.checkpoint(trainRunId, 2), address });
  });
  after(() => fx?.dispose());

  it('--format peft of a run step: PEFT files that load back as the same adapters', async () => {
    const out = join(fx.dir, 'peft');
    const result = await exportCheckpoint({ from: { store, trainRunId, step: 2 }, format: 'peft', out });
    assert.deepEqual(
      result.files.map((f) => f.name),
      ['adapter_config.json', 'adapter_model.safetensors'],
    );
    assert.equal(result.model, fx.modelPath, "the run's model");
    assert.match(result.checkpoint, /^runs\/export-run\/checkpoints\/step-2 \(sha256:/);
    const config = JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8'));
    assert.equal(config.base_model_name_or_path, 'tiny-llama');
    assert.equal(config.r, 4);
    assert.equal(config.lora_alpha, 8);
    const back = await loadAdapterFolder({ dir: out, model: fx.config });
    assert.equal(back.kind, 'peft');
    for (const [name, t] of fx.lora.tensors) assert.deepEqual(back.trainable.tensors.get(name), t, name);
  });

  it('--format hf: our Hugging Face loader reads the merged folder with the logits of base + adapters', async (t) => {
    const out = join(fx.dir, 'hf');
    const result = await exportCheckpoint({
      from: { dir: fx.checkpointDir },
      model: fx.modelPath,
      format: 'hf',
      out,
    });
    assert.deepEqual(result.files.map((f) => f.name).sort(), [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const gguf = await openModel({ path: fx.modelPath });
    const hf = await openModel({ path: out });
    assert.deepEqual({ ...hf.source.config, ropeStyle: 'adjacent-pair' }, fx.config);
    assert.deepEqual(hf.tokenizer.encode('The ferry left.'), gguf.tokenizer.encode('The ferry left.'));
    const sequences = tokenSequences({ vocab: fx.config.vocabSize, lengths: [17, 5], seed: 2 });
    const adapted = await ourLogits({ source: gguf.source, lora: fx.lora, sequences });
    const base = await ourLogits({ source: gguf.source, sequences });
    const merged = await ourLogits({ source: hf.source, sequences });
    const diff = Math.max(...sequences.map((_, i) => maxAbsDiff(merged[i]!, adapted[i]!)));
    const moved = Math.max(...sequences.map((_, i) => maxAbsDiff(base[i]!, adapted[i]!)));
    t.diagnostic(
      `max |merged HF folder - base+adapters| ${diff.toExponential(2)}; the adapters move logits by ${moved.toFixed(2)}`,
    );
    assert.ok(moved > 0.5, `the adapters must change the logits (moved ${moved})`);
    assert.ok(diff <= 1e-4, `max abs difference ${diff}`);
  });

  it('a PEFT folder on a Hugging Face base: the tokenizer files copied, merged logits as before; bf16 weights', async (t) => {
    // The base as a Hugging Face folder: the export of an all-zero adapter (W + 0).
    const zero = join(fx.dir, 'zero');
    await saveCheckpoint({
      dir: zero,
      trainable: initLoraState({ model: fx.config, lora: fx.lora.config, seed: 0 }),
      step: 0,
    });
    const hfBase = join(fx.dir, 'hf-base');
    await exportCheckpoint({ from: { dir: zero }, model: fx.modelPath, format: 'hf', out: hfBase });
    await writeFile(join(hfBase, 'generation_config.json'), '{"do_sample": false}\n');
    // The PEFT folder holds q/k in Hugging Face order, which is this base's order: nothing moves.
    const out = join(fx.dir, 'hf-from-peft');
    const result = await exportCheckpoint({
      from: { dir: join(fx.dir, 'peft') },
      model: hfBase,
      format: 'hf',
      out,
    });
    assert.ok(result.files.some((f) => f.name === 'generation_config.json'));
    const sequences = tokenSequences({ vocab: fx.config.vocabSize, lengths: [12], seed: 4 });
    const gguf = await openModel({ path: fx.modelPath });
    const adapted = await ourLogits({ source: gguf.source, lora: fx.lora, sequences });
    const merged = await ourLogits({ source: (await openModel({ path: out })).source, sequences });
    const diff = maxAbsDiff(merged[0]!, adapted[0]!);
    const bf16 = join(fx.dir, 'hf-bf16');
    await exportCheckpoint({
      from: { dir: join(fx.dir, 'peft') },
      model: hfBase,
      format: 'hf',
      dtype: 'bf16',
      out: bf16,
    });
    const halved = await ourLogits({ source: (await openModel({ path: bf16 })).source, sequences });
    const bfDiff = maxAbsDiff(halved[0]!, adapted[0]!);
    t.diagnostic(
      `max |merged (PEFT on HF base) - base+adapters| ${diff.toExponential(2)}; bf16 weights ${bfDiff.toExponential(2)}`,
    );
    assert.ok(diff <= 1e-4, `max abs difference ${diff}`);
    assert.equal(JSON.parse(await readFile(join(bf16, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
    assert.ok(bfDiff > 0 && bfDiff < 1, `bf16: max abs difference ${bfDiff}`);
  });

  it('bad requests name what was asked and what exists, and write nothing', async () => {
    const full = join(fx.dir, 'full');
    await mkdir(full);
    await writeFile(join(full, 'notes.txt'), 'x');
    const present = readdirSync(fx.dir);
    const cases: [Parameters<typeof exportCheckpoint>[0], RegExp][] = [
      [
        { from: { dir: fx.checkpointDir }, format: 'onnx', out: join(fx.dir, 'o1') },
        /unknown export format 'onnx'; known: gguf, hf, peft/,
      ],
      [
        { from: { dir: fx.checkpointDir }, format: 'peft', dtype: 'f16', out: join(fx.dir, 'o1') },
        /--format peft writes f32, not 'f16'/,
      ],
      [
        { from: { dir: fx.checkpointDir }, format: 'peft', out: full },
        /full: the output folder exists and is not empty \(it holds notes\.txt\)/,
      ],
      [
        { from: { dir: fx.checkpointDir }, format: 'peft', out: fx.modelPath },
        /tiny\.gguf: the output folder is an existing file/,
      ],
      [
        { from: { store, trainRunId: 'nope', step: 2 }, format: 'peft', out: join(fx.dir, 'o1') },
        /no training run 'nope' in the store at .*; runs there: export-run/,
      ],
      [
        { from: { store, trainRunId, step: 3 }, format: 'gguf', out: join(fx.dir, 'o1') },
        /training run 'export-run' has no checkpoint at step 3; steps with a checkpoint: 2/,
      ],
      [
        {
          from: { dir: join(fx.dir, 'nowhere') },
          model: fx.modelPath,
          format: 'peft',
          out: join(fx.dir, 'o1'),
        },
        /no checkpoint folder at .*nowhere/,
      ],
      [
        {
          from: { dir: fx.checkpointDir },
          model: join(fx.dir, 'hf'),
          format: 'gguf',
          out: join(fx.dir, 'o1'),
        },
        /export --format gguf needs a GGUF base model; this base is a Hugging Face folder/,
      ],
    ];
    for (const [request, message] of cases) {
      await assert.rejects(exportCheckpoint(request), (err: unknown) => {
        assert.ok(err instanceof ValidationError, String(err));
        assert.match(err.message, message);
        return true;
      });
    }
    assertNothingWritten(fx, present);
    assert.deepEqual(readdirSync(full), ['notes.txt']);
  });

  it('adapters for another base model are refused, naming the tensor', async () => {
    const other = await writeExportFixture({ dims: { ffnSize: 80 } });
    try {
      await assert.rejects(
        exportCheckpoint({
          from: { dir: join(fx.dir, 'peft') },
          model: other.modelPath,
          format: 'hf',
          out: join(other.dir, 'o'),
        }),
        /tensor 'base_model\.model\.model\.layers\.0\.mlp\.gate_proj\.lora_B\.weight' has shape \[96,4\], the model needs \[80,4\]: an adapter for another base model\?/,
      );
      assert.equal(existsSync(join(other.dir, 'o')), false);
    } finally {
      await other.dispose();
    }
  });
});
