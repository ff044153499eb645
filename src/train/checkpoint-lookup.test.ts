import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADAPTER_FILE, MANIFEST_FILE, saveCheckpoint } from '../engine/checkpoint.ts';
import { initLoraState, type LoraState } from '../engine/lora-state.ts';
import { tinyConfig } from '../models/llama/testing/tiny-llama.ts';
import { ArtifactNotFoundError, CorruptArtifactError } from '../store/errors.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import { ValidationError } from '../util/errors.ts';
import { findRunCheckpoint, formatSteps, loadCheckpointFrom, runModel } from './checkpoint-lookup.ts';
import { putCheckpoint, type UpdateRecord } from './checkpoint-store.ts';
import { runRefs } from './run-refs.ts';
import { storeRunConfig } from './stored-config.ts';

const model = tinyConfig();
const lora = { rank: 2, alpha: 4, targets: ['q', 'v'] as ('q' | 'v')[] };
const update: UpdateRecord = {
  applied: true,
  learningRate: 0.01,
  metrics: {},
  sequences: 4,
  tokens: 40,
  ms: 1,
  attempt: 1,
  worker: 'test',
};

/** Adapters whose values say which step they belong to. */
function adaptersOf(step: number): LoraState {
  const state = initLoraState({ model, lora, seed: step });
  for (const t of state.tensors.values()) t.fill(step / 100);
  return state;
}

describe('checkpoint lookup by training run and step (real local store)', () => {
  let dir: string;
  let store: LocalFolderStore;
  const trainRunId = 'lookup-a';
  const records = new Map<number, { address: string; files: Record<string, string> }>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-ckpt-lookup-'));
    store = new LocalFolderStore({ root: join(dir, 'store') });
    const configFile = join(dir, 'run.yaml');
    const text = 'name: lookup\nmodel: { path: tiny.gguf, name: tiny-llama }\nsteps: 4\n';
    await writeFile(configFile, text);
    await storeRunConfig({ store, trainRunId, file: configFile, text });
    let parent: string | null = null;
    for (const step of [1, 2, 3, 5]) {
      const { address, record } = await putCheckpoint({
        store,
        trainRunId,
        step,
        parent,
        trainable: adaptersOf(step),
        optimizer: undefined,
        optimizerSteps: step,
        update,
      });
      await store.setRef(runRefs.checkpoint(trainRunId, step), address, { mode: 'create-only' });
      records.set(step, { address, files: record.files });
      parent = address;
    }
    // A second run, so the error lists more than one id; it has a config but no checkpoint yet.
    await storeRunConfig({ store, trainRunId: 'lookup-b', file: configFile, text });
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('finds the checkpoint committed at a step and loads its adapters', async () => {
    const found = await findRunCheckpoint({ store, trainRunId, step: 3 });
    assert.deepEqual(found, {
      trainRunId,
      step: 3,
      ref: `runs/${trainRunId}/checkpoints/step-3`,
      address: records.get(3)!.address,
    });
    const loaded = await loadCheckpointFrom({ from: { store, trainRunId, step: 3 }, model });
    assert.equal(loaded.run?.record.step, 3);
    assert.equal(loaded.run?.address, records.get(3)!.address);
    assert.match(loaded.label, /^runs\/lookup-a\/checkpoints\/step-3 \(sha256:[0-9a-f]{64}\)$/);
    assert.deepEqual(loaded.manifest?.lora, { rank: 2, alpha: 4, targets: ['q', 'v'] });
    for (const t of loaded.trainable.tensors.values()) assert.ok(t.every((x) => Math.abs(x - 0.03) < 1e-7));
  });

  it('an unknown run names it and lists the runs in the store', async () => {
    await assert.rejects(
      findRunCheckpoint({ store, trainRunId: 'no-such-run', step: 1 }),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.message.includes(`no training run 'no-such-run' in the store at ${store.location}`) &&
        err.message.includes('runs there: lookup-a, lookup-b'),
    );
    const empty = new LocalFolderStore({ root: join(dir, 'empty') });
    await assert.rejects(
      findRunCheckpoint({ store: empty, trainRunId, step: 1 }),
      /no training run 'lookup-a' .*the store holds no training runs/,
    );
    await assert.rejects(
      findRunCheckpoint({ store, trainRunId: '../x', step: 1 }),
      /expected a training run id \(letters, digits, \. _ -\), got '\.\.\/x'/,
    );
  });

  it('a step without a checkpoint names the steps that have one', async () => {
    await assert.rejects(
      findRunCheckpoint({ store, trainRunId, step: 4 }),
      (err: unknown) =>
        err instanceof ValidationError &&
        err.message ===
          "training run 'lookup-a' has no checkpoint at step 4; steps with a checkpoint: 1-3, 5",
    );
    await assert.rejects(
      findRunCheckpoint({ store, trainRunId, step: 0 }),
      /no checkpoint at step 0 \(step 0 is the base policy, before training: evaluate without a checkpoint\)/,
    );
    await assert.rejects(
      findRunCheckpoint({ store, trainRunId: 'lookup-b', step: 1 }),
      /training run 'lookup-b' has no checkpoint at step 1; it has no committed checkpoint yet/,
    );
    await assert.rejects(findRunCheckpoint({ store, trainRunId, step: 1.5 }), /expected a step number/);
  });

  it('a missing or corrupt checkpoint file is named', async () => {
    // Corrupt: the adapter object of step 2 rewritten in place.
    const adapter2 = records.get(2)!.files[ADAPTER_FILE]!;
    const path2 = store.objectPath(adapter2 as `sha256:${string}`);
    await writeFile(path2, 'not the adapters');
    await assert.rejects(
      loadCheckpointFrom({ from: { store, trainRunId, step: 2 }, model }),
      (err: unknown) =>
        err instanceof CorruptArtifactError &&
        err.message.includes("checkpoint of training run 'lookup-a' at step 2") &&
        err.message.includes(`file ${ADAPTER_FILE} of checkpoint ${records.get(2)!.address} is corrupt`),
    );
    // Torn: the adapter object of step 3 cut to half its length (a write that did not finish).
    const adapter3 = records.get(3)!.files[ADAPTER_FILE]!;
    const path3 = store.objectPath(adapter3 as `sha256:${string}`);
    await truncate(path3, (await stat(path3)).size / 2);
    await assert.rejects(
      loadCheckpointFrom({ from: { store, trainRunId, step: 3 }, model }),
      (err: unknown) =>
        err instanceof CorruptArtifactError &&
        err.message.includes(`file ${ADAPTER_FILE} of checkpoint ${records.get(3)!.address} is corrupt`) &&
        err.message.includes(`stored object ${adapter3} is damaged`) &&
        err.message.includes('it is not loaded'),
    );
    // Missing: the manifest object of step 5 deleted.
    const manifest5 = records.get(5)!.files[MANIFEST_FILE]!;
    await rm(store.objectPath(manifest5 as `sha256:${string}`));
    await assert.rejects(
      loadCheckpointFrom({ from: { store, trainRunId, step: 5 }, model }),
      (err: unknown) =>
        err instanceof ArtifactNotFoundError &&
        err.message.includes("checkpoint of training run 'lookup-a' at step 5") &&
        err.message.includes(`file ${MANIFEST_FILE} of checkpoint ${records.get(5)!.address} is missing`),
    );
  });

  it('a checkpoint folder loads too; a missing folder or file is named', async () => {
    const folder = join(dir, 'folder-ckpt');
    await saveCheckpoint({ dir: folder, trainable: adaptersOf(7), step: 7 });
    const loaded = await loadCheckpointFrom({ from: { dir: folder }, model });
    assert.equal(loaded.label, folder);
    assert.equal(loaded.run, undefined);
    assert.equal(loaded.manifest?.step, 7);

    await assert.rejects(
      loadCheckpointFrom({ from: { dir: join(dir, 'nowhere') }, model }),
      new RegExp(`no checkpoint folder at ${join(dir, 'nowhere')}`),
    );
    await assert.rejects(
      loadCheckpointFrom({ from: { dir: join(dir, 'run.yaml') }, model }),
      /expected a checkpoint folder \(checkpoint.json, adapter.safetensors\) or a PEFT adapter folder, got a file/,
    );
    await rm(join(folder, ADAPTER_FILE));
    await assert.rejects(
      loadCheckpointFrom({ from: { dir: folder }, model }),
      (err: unknown) => err instanceof ValidationError && err.message.includes(join(folder, ADAPTER_FILE)),
    );
  });

  it("the run's model comes from its stored configuration", async () => {
    const m = await runModel({ store, trainRunId });
    assert.deepEqual(m, { path: join(dir, 'tiny.gguf'), name: 'tiny-llama' });
    await assert.rejects(runModel({ store, trainRunId: 'nope' }), /no training run 'nope'.*runs there/);
  });

  it('formats step lists as ranges', () => {
    assert.equal(formatSteps([1, 2, 3, 5, 7, 8]), '1-3, 5, 7-8');
    assert.equal(formatSteps([4]), '4');
    assert.equal(formatSteps([]), '');
  });
});
