import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRng } from '../graph/random.ts';
import { LoraConfigSchema } from '../models/llama/lora.ts';
import { tinyConfig } from '../models/llama/testing/tiny-llama.ts';
import { AdamWConfigSchema, adamwStep, createAdamWState } from '../rl/optim/adamw.ts';
import { ADAPTER_FILE, loadCheckpoint, MANIFEST_FILE, OPTIMIZER_FILE, saveCheckpoint } from './checkpoint.ts';
import { initLoraState, type LoraState } from './lora-state.ts';

const model = tinyConfig();
const lora = LoraConfigSchema.parse({ rank: 4, alpha: 8, targets: ['q', 'v', 'down'] });

function trainedState() {
  const state = initLoraState({ model, lora, seed: 1 });
  const optimizer = {
    state: createAdamWState(Object.fromEntries(state.tensors)),
    config: AdamWConfigSchema.parse({ lr: 1e-3 }),
  };
  const rng = createRng(2);
  for (let step = 0; step < 3; step++) {
    const grads = Object.fromEntries(
      [...state.tensors].map(([k, v]) => [k, Float32Array.from(v, () => rng.normal())]),
    );
    adamwStep({
      params: Object.fromEntries(state.tensors),
      grads,
      state: optimizer.state,
      config: optimizer.config,
    });
  }
  return { state, optimizer };
}

async function scratch() {
  return mkdtemp(join(tmpdir(), 'anchorage-ckpt-'));
}

test('save then load gives back the exact adapters and optimizer state, with content hashes', async () => {
  const root = await scratch();
  try {
    const { state, optimizer } = trainedState();
    const dir = join(root, 'step-3');
    const saved = await saveCheckpoint({
      dir,
      trainable: state,
      optimizer,
      step: 3,
      metadata: { base: 'tiny' },
    });
    assert.equal(saved.existed, false);
    assert.deepEqual((await readdir(root)).sort(), ['step-3'], 'no temporary folder is left behind');
    assert.deepEqual((await readdir(dir)).sort(), [ADAPTER_FILE, MANIFEST_FILE, OPTIMIZER_FILE].sort());
    const loaded = await loadCheckpoint({ dir, model });
    assert.deepEqual((loaded.trainable as LoraState).config, lora);
    assert.deepEqual(loaded.trainable.tensors, state.tensors);
    assert.deepEqual(loaded.optimizer?.state, optimizer.state);
    assert.deepEqual(loaded.optimizer?.config, optimizer.config);
    assert.equal(loaded.manifest.step, 3);
    assert.equal(loaded.manifest.metadata['base'], 'tiny');
    // Deterministic bytes: the same content saved elsewhere has the same hash.
    const again = await saveCheckpoint({
      dir: join(root, 'copy'),
      trainable: state,
      optimizer,
      step: 3,
      metadata: { base: 'tiny' },
    });
    assert.equal(again.manifest.files.adapter.sha256, saved.manifest.files.adapter.sha256);
    assert.equal(again.manifest.files.optimizer?.sha256, saved.manifest.files.optimizer?.sha256);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('an existing checkpoint is returned, not overwritten (a retried save)', async () => {
  const root = await scratch();
  try {
    const { state, optimizer } = trainedState();
    const dir = join(root, 'step-3');
    const first = await saveCheckpoint({ dir, trainable: state, optimizer, step: 3 });
    state.tensors.values().next().value![0] = 42;
    const second = await saveCheckpoint({ dir, trainable: state, optimizer, step: 3 });
    assert.equal(second.existed, true);
    assert.deepEqual(second.manifest, first.manifest);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('corruption, a missing file and a model mismatch are reported with the file', async () => {
  const root = await scratch();
  try {
    const { state, optimizer } = trainedState();
    const dir = join(root, 'ckpt');
    await saveCheckpoint({ dir, trainable: state, optimizer, step: 3 });
    const adapterPath = join(dir, ADAPTER_FILE);
    const bytes = await readFile(adapterPath);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await writeFile(adapterPath, bytes);
    await assert.rejects(loadCheckpoint({ dir, model }), (err: Error) => {
      assert.match(err.message, /adapter\.safetensors/);
      assert.match(err.message, /content hash/);
      return true;
    });
    const other = join(root, 'other');
    await saveCheckpoint({ dir: other, trainable: state, step: 0 });
    await assert.rejects(
      loadCheckpoint({ dir: other, model: { ...model, ffnSize: 128 } }),
      /blk\.0\.ffn_down\.lora_a.*expected \[4,128\]/,
    );
    await rm(join(other, ADAPTER_FILE));
    await assert.rejects(loadCheckpoint({ dir: other, model }), /adapter\.safetensors/);
    await assert.rejects(loadCheckpoint({ dir: join(root, 'nothing'), model }), /checkpoint\.json/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
