import { z } from 'zod';
import {
  ADAPTER_FILE,
  decodeCheckpoint,
  encodeAdapter,
  encodeCheckpoint,
  type CheckpointManifest,
  MANIFEST_FILE,
  OPTIMIZER_FILE,
  type OptimizerSnapshot,
} from '../engine/checkpoint.ts';
import type { TrainableState } from '../engine/trainable.ts';
import type { LlamaConfig } from '../models/config.ts';
import { Address, addressOf } from '../store/address.ts';
import { ArtifactNotFoundError, CorruptArtifactError } from '../store/errors.ts';
import type { ArtifactStore } from '../store/store.ts';
import { AnchorageError } from '../util/errors.ts';

/** How a checkpoint came to be: the update that produced it from its parent. */
export const UpdateRecord = z.strictObject({
  /** False when the step had no learning signal (every group dropped): the adapters are the parent's. */
  applied: z.boolean(),
  reason: z.string().optional(),
  learningRate: z.number(),
  /** Training metrics of the update (loss/total, policy/clip_fraction, kl/ref, grad/norm, ...). */
  metrics: z.record(z.string(), z.number()),
  sequences: z.number().int(),
  tokens: z.number().int(),
  ms: z.number(),
  /** Activity attempt that committed it, and the worker process. */
  attempt: z.number().int(),
  worker: z.string(),
});
export type UpdateRecord = z.infer<typeof UpdateRecord>;

/**
 * A policy checkpoint in the artifact store: the engine's checkpoint files (adapters, optimizer
 * state, manifest with their sha256) as objects, plus where it came from. Its address is what the
 * run's create-only ref `checkpoints/step-<n>` names, so committing is one atomic ref write.
 */
export const StoredCheckpoint = z.strictObject({
  format: z.literal('anchorage.checkpoint/1'),
  trainRunId: z.string(),
  /** The training step after which this is the policy. */
  step: z.number().int().nonnegative(),
  /** The checkpoint it was trained from; null: fresh adapters from the run seed. */
  parent: Address.nullable(),
  /**
   * The adapter weights the update started from, as the address of their adapter file
   * (`adapterAddress`): equal to the parent's `files['adapter.safetensors']`, so the checkpoints form
   * a hash chain over the weights and an update applied twice (to weights already updated) shows.
   * Absent in checkpoints written before it was recorded.
   */
  trainedFrom: Address.optional(),
  /** Engine checkpoint files by name. */
  files: z.record(z.string(), Address),
  /** Optimizer steps taken (AdamW's t): one per applied update since the run began. */
  optimizerSteps: z.number().int().nonnegative(),
  update: UpdateRecord,
});
export type StoredCheckpoint = z.infer<typeof StoredCheckpoint>;

/**
 * The adapters a trainer holds are not the ones of the checkpoint it was asked to train from. The
 * update is not applied; the next attempt reloads the checkpoint (retryable).
 */
export class AdapterMismatchError extends AnchorageError {
  constructor(message: string) {
    super(message, { retryable: true });
  }
}

/** The address the adapter file of these weights has (or would have) in the store. */
export function adapterAddress(trainable: TrainableState): Address {
  return addressOf(encodeAdapter(trainable));
}

/** Writes the checkpoint's files and record; returns the record's address (not yet committed). */
export async function putCheckpoint(options: {
  store: ArtifactStore;
  trainRunId: string;
  step: number;
  parent: string | null;
  /** `adapterAddress` of the weights before the update (the trainer always gives it). */
  trainedFrom?: Address;
  trainable: TrainableState;
  optimizer: OptimizerSnapshot | undefined;
  optimizerSteps: number;
  metadata?: Readonly<Record<string, string>>;
  update: UpdateRecord;
}): Promise<{ address: Address; record: StoredCheckpoint }> {
  const { store } = options;
  const { files } = encodeCheckpoint({
    trainable: options.trainable,
    step: options.optimizerSteps,
    ...(options.optimizer === undefined ? {} : { optimizer: options.optimizer }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  });
  const addresses: Record<string, Address> = {};
  for (const [name, bytes] of files) addresses[name] = (await store.putBytes(bytes)).address;
  const record: StoredCheckpoint = {
    format: 'anchorage.checkpoint/1',
    trainRunId: options.trainRunId,
    step: options.step,
    parent: options.parent === null ? null : Address.parse(options.parent),
    ...(options.trainedFrom === undefined ? {} : { trainedFrom: options.trainedFrom }),
    files: addresses,
    optimizerSteps: options.optimizerSteps,
    update: options.update,
  };
  const { address } = await store.putJson(record);
  return { address, record };
}

/** Reads a stored checkpoint: adapters and optimizer state verified against the manifest's hashes. */
export async function readCheckpoint(options: {
  store: ArtifactStore;
  address: string;
  model: LlamaConfig;
}): Promise<{
  record: StoredCheckpoint;
  trainable: TrainableState;
  optimizer: OptimizerSnapshot | undefined;
  manifest: CheckpointManifest;
}> {
  const { store, address } = options;
  const record = await store.getJson(address, StoredCheckpoint);
  const files = new Map<string, Uint8Array>();
  for (const name of [MANIFEST_FILE, ADAPTER_FILE, OPTIMIZER_FILE]) {
    const a = record.files[name];
    if (a !== undefined)
      files.set(name, await checkpointFile({ store, checkpoint: address, name, address: a }));
  }
  const decoded = decodeCheckpoint({ files, model: options.model, source: `${store.location}#${address}` });
  return { record, trainable: decoded.trainable, optimizer: decoded.optimizer, manifest: decoded.manifest };
}

/** The bytes of one file of a stored checkpoint; a missing or corrupt object names the file. */
async function checkpointFile(options: {
  store: ArtifactStore;
  checkpoint: string;
  name: string;
  address: string;
}): Promise<Uint8Array> {
  const { store, checkpoint, name } = options;
  try {
    return await store.getBytes(options.address);
  } catch (err) {
    const what = `file ${name} of checkpoint ${checkpoint}`;
    if (err instanceof ArtifactNotFoundError) {
      throw new ArtifactNotFoundError(`${what} is missing: ${err.message}`, { cause: err });
    }
    if (err instanceof CorruptArtifactError) {
      throw new CorruptArtifactError(`${what} is corrupt: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
