import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseRunConfig } from '../config/load.ts';
import { loadAdapterFolder } from '../engine/adapter-folder.ts';
import type { CheckpointManifest } from '../engine/checkpoint.ts';
import type { TrainableState } from '../engine/trainable.ts';
import type { LlamaConfig } from '../models/config.ts';
import type { Address } from '../store/address.ts';
import { ArtifactNotFoundError, CorruptArtifactError } from '../store/errors.ts';
import { listCheckpoints, listTrainRuns, TrainRunId } from '../store/run-refs.ts';
import type { ArtifactStore } from '../store/store.ts';
import { ValidationError } from '../util/errors.ts';
import { readCheckpoint, type StoredCheckpoint } from './checkpoint-store.ts';
import { runRefs } from './run-refs.ts';
import { StoredRunConfig } from './stored-config.ts';

/**
 * Where a LoRA checkpoint to evaluate comes from: the checkpoint a training run committed after a
 * step (`runs/<trainRunId>/checkpoints/step-<n>` in the artifact store), or a folder: a checkpoint
 * (`checkpoint.json`, `adapter.safetensors`, as `Policy.saveCheckpoint` writes it) or a PEFT
 * adapter (`adapter_config.json`, `adapter_model.safetensors`, as `anchorage export` writes it).
 */
export type CheckpointSource = { store: ArtifactStore; trainRunId: string; step: number } | { dir: string };

/** A run's committed checkpoint, found by run id and step. */
export interface RunCheckpoint {
  trainRunId: string;
  step: number;
  /** The create-only ref that names it. */
  ref: string;
  address: Address;
}

/**
 * What a checkpoint trained (adapters, or weights with full fine-tuning), read and verified
 * against their hashes and the model's shapes.
 */
export interface LoadedCheckpoint {
  trainable: TrainableState;
  /** The checkpoint's manifest; a PEFT adapter folder has none. */
  manifest?: CheckpointManifest;
  /** Names the checkpoint in messages and evaluation specs: the ref and address, or the folder. */
  label: string;
  /** Present for a run's checkpoint: where it was found and its stored record. */
  run?: RunCheckpoint & { record: StoredCheckpoint };
}

/** Runs named in a "not found" message before the rest are counted. */
const LISTED_RUNS = 20;

/**
 * The checkpoint `trainRunId` committed after step `step`. Errors say what was asked and what
 * exists: an unknown run lists the runs in the store; a step without a checkpoint lists the steps
 * that have one (step 0, before training, is the base policy and has none).
 */
export async function findRunCheckpoint(options: {
  store: ArtifactStore;
  trainRunId: string;
  step: number;
}): Promise<RunCheckpoint> {
  const { store, trainRunId, step } = options;
  if (!TrainRunId.safeParse(trainRunId).success) {
    throw new ValidationError(`expected a training run id (letters, digits, . _ -), got '${trainRunId}'`);
  }
  if (!Number.isInteger(step) || step < 0) {
    throw new ValidationError(`expected a step number (integer >= 0), got ${step}`);
  }
  const checkpoints = await listCheckpoints({ store, trainRunId });
  const found = checkpoints.find((c) => c.step === step);
  if (found !== undefined) {
    return { trainRunId, step, ref: runRefs.checkpoint(trainRunId, step), address: found.address };
  }
  if (checkpoints.length === 0) {
    const runs = await listTrainRuns({ store });
    if (!runs.includes(trainRunId)) {
      throw new ValidationError(
        `no training run '${trainRunId}' in the store at ${store.location}; ${describeRuns(runs)}`,
      );
    }
  }
  const base =
    step === 0 ? ' (step 0 is the base policy, before training: evaluate without a checkpoint)' : '';
  const have =
    checkpoints.length === 0
      ? 'it has no committed checkpoint yet'
      : `steps with a checkpoint: ${formatSteps(checkpoints.map((c) => c.step))}`;
  throw new ValidationError(`training run '${trainRunId}' has no checkpoint at step ${step}${base}; ${have}`);
}

/**
 * Reads the LoRA adapters of a checkpoint, from a run in the store or from a folder, checked
 * against `model` (the base model's config). A missing or corrupt file is named in the error.
 */
export async function loadCheckpointFrom(options: {
  from: CheckpointSource;
  model: LlamaConfig;
}): Promise<LoadedCheckpoint> {
  const { from, model } = options;
  if ('dir' in from) {
    const dir = resolve(from.dir);
    const st = await stat(dir).catch(() => undefined);
    if (st === undefined) throw new ValidationError(`no checkpoint folder at ${dir}`);
    if (!st.isDirectory()) {
      throw new ValidationError(
        `expected a checkpoint folder (checkpoint.json, adapter.safetensors) or a PEFT adapter folder, got a file: ${dir}`,
      );
    }
    const loaded = await loadAdapterFolder({ dir, model });
    return {
      trainable: loaded.trainable,
      ...(loaded.manifest === undefined ? {} : { manifest: loaded.manifest }),
      label: dir,
    };
  }
  const found = await findRunCheckpoint(from);
  const what = `checkpoint of training run '${found.trainRunId}' at step ${found.step} (${found.ref} -> ${found.address})`;
  let stored: Awaited<ReturnType<typeof readCheckpoint>>;
  try {
    stored = await readCheckpoint({ store: from.store, address: found.address, model });
  } catch (err) {
    throw inContext(err, what);
  }
  return {
    trainable: stored.trainable,
    manifest: stored.manifest,
    label: `${found.ref} (${found.address})`,
    run: { ...found, record: stored.record },
  };
}

/**
 * The model a run was trained on, as its stored configuration names it (resolved on this machine:
 * `default` is the bundled model's path here): what its checkpoints' adapters fit.
 */
export async function runModel(options: {
  store: ArtifactStore;
  trainRunId: string;
  env?: NodeJS.ProcessEnv;
}): Promise<{ path: string; name: string }> {
  const { store, trainRunId } = options;
  const ref = runRefs.config(trainRunId);
  const address = await store.getRef(ref);
  if (address === undefined) {
    const runs = await listTrainRuns({ store });
    const why = runs.includes(trainRunId)
      ? `the store at ${store.location} has no ${ref}`
      : `no training run '${trainRunId}' in the store at ${store.location}; ${describeRuns(runs)}`;
    throw new ValidationError(`cannot tell the model of training run '${trainRunId}': ${why}`);
  }
  try {
    const record = await store.getJson(address, StoredRunConfig);
    const { config } = parseRunConfig({
      text: record.text,
      file: record.file,
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    return { path: config.model.path, name: config.model.name };
  } catch (err) {
    throw inContext(err, `configuration of training run '${trainRunId}' (${ref} -> ${address})`);
  }
}

function describeRuns(runs: readonly string[]): string {
  if (runs.length === 0) return 'the store holds no training runs';
  const shown = runs.slice(0, LISTED_RUNS).join(', ');
  const more = runs.length > LISTED_RUNS ? ` and ${runs.length - LISTED_RUNS} more` : '';
  return `runs there: ${shown}${more}`;
}

/** Ascending step numbers as ranges: `1-4, 6, 8-9`. */
export function formatSteps(steps: readonly number[]): string {
  const parts: string[] = [];
  let start: number | undefined;
  let prev: number | undefined;
  const flush = () => {
    if (start !== undefined && prev !== undefined)
      parts.push(start === prev ? `${start}` : `${start}-${prev}`);
  };
  for (const s of steps) {
    if (prev !== undefined && s === prev + 1) {
      prev = s;
      continue;
    }
    flush();
    start = s;
    prev = s;
  }
  flush();
  return parts.join(', ');
}

/** The same kind of error, its message prefixed with what was being read. */
function inContext(err: unknown, what: string): unknown {
  if (err instanceof ArtifactNotFoundError)
    return new ArtifactNotFoundError(`${what}: ${err.message}`, { cause: err });
  if (err instanceof CorruptArtifactError)
    return new CorruptArtifactError(`${what}: ${err.message}`, { cause: err });
  if (err instanceof ValidationError) return new ValidationError(`${what}: ${err.message}`, { cause: err });
  return err;
}
