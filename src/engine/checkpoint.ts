import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { LlamaConfig } from '../models/config.ts';
import { sha256Hex } from '../models/safetensors/content-hash.ts';
import { decodeSafetensors } from '../models/safetensors/safetensors-reader.ts';
import { encodeSafetensors } from '../models/safetensors/safetensors-writer.ts';
import { type AdamWConfig, AdamWConfigSchema, type AdamWState } from '../rl/optim/adamw.ts';
import { ValidationError } from '../util/errors.ts';
import { TRAINABLE_SECTIONS, type TrainableState, trainableKind, trainableKindNamed } from './trainable.ts';

/**
 * A policy checkpoint: the trained tensors (safetensors, float32: LoRA adapters, or every weight of
 * a fully fine-tuned model; still named `adapter.safetensors`), the AdamW state beside them
 * (moments as safetensors, step count and hyperparameters in its metadata) and a manifest naming
 * both files with their sha256. The adapter file's sha256 is the checkpoint's content hash.
 *
 * Sampling randomness is counter-based (seed, stream, position), so there is no generator state
 * to save: a resumed run derives its seeds from the step number.
 *
 * Writing is atomic: files go to a temporary sibling folder that is renamed into place. A folder
 * that already holds a complete checkpoint is left alone and returned (a retried activity finds
 * its earlier result).
 */
export const ADAPTER_FILE = 'adapter.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const MANIFEST_FILE = 'checkpoint.json';
const FORMAT = 'anchorage-checkpoint/1';

const FileEntrySchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});

export const ManifestSchema = z
  .object({
    format: z.literal(FORMAT),
    /** Optimizer steps taken when this was written. */
    step: z.number().int().nonnegative(),
    /** What was trained, under its kind's name (`lora`: rank, alpha, targets; `full`): exactly one. */
    ...TRAINABLE_SECTIONS,
    files: z.object({ adapter: FileEntrySchema, optimizer: FileEntrySchema.optional() }),
    /** Free-form strings from the caller (base model, run id, ...). */
    metadata: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((manifest, ctx) => {
    const kinds = Object.keys(TRAINABLE_SECTIONS).filter(
      (k) => manifest[k as keyof typeof TRAINABLE_SECTIONS],
    );
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `expected exactly one of ${Object.keys(TRAINABLE_SECTIONS).join(', ')}, got ${kinds.length}`,
      });
    }
  });
export type CheckpointManifest = z.infer<typeof ManifestSchema>;

export interface OptimizerSnapshot {
  readonly state: AdamWState;
  readonly config: AdamWConfig;
}

/** The kind of what a manifest's checkpoint trained (its one section) and that section. */
function manifestKind(manifest: CheckpointManifest): { name: string; meta: unknown } {
  const name = Object.keys(TRAINABLE_SECTIONS).find(
    (k) => manifest[k as keyof typeof TRAINABLE_SECTIONS] !== undefined,
  ) as string;
  return { name, meta: manifest[name as keyof typeof TRAINABLE_SECTIONS] };
}

/**
 * The adapter file's bytes: a function of the trained tensors and their kind's settings only
 * (tensors sorted by name), so its sha256 identifies the weights wherever they are.
 */
export function encodeAdapter(trainable: TrainableState): Uint8Array {
  const kind = trainableKind(trainable);
  return encodeSafetensors({
    tensors: [...trainable.tensors].map(([name, data]) => ({
      name,
      shape: trainable.shapes.get(name) as number[],
      dtype: 'F32' as const,
      data,
    })),
    metadata: { format: FORMAT, [kind.name]: JSON.stringify(kind.metaOf(trainable)) },
  });
}

/** Checkpoint files as bytes, by file name (for a folder or an artifact store). */
export function encodeCheckpoint(options: {
  trainable: TrainableState;
  optimizer?: OptimizerSnapshot;
  step: number;
  metadata?: Readonly<Record<string, string>>;
}): { files: Map<string, Uint8Array>; manifest: CheckpointManifest } {
  const { trainable, optimizer } = options;
  const kind = trainableKind(trainable);
  const adapter = encodeAdapter(trainable);
  const files = new Map<string, Uint8Array>([[ADAPTER_FILE, adapter]]);
  let optimizerEntry: { sha256: string; bytes: number } | undefined;
  if (optimizer !== undefined) {
    const tensors = [];
    for (const name of trainable.tensors.keys()) {
      const shape = trainable.shapes.get(name) as number[];
      const m = optimizer.state.m[name];
      const v = optimizer.state.v[name];
      if (m === undefined || v === undefined)
        throw new ValidationError(`optimizer state has no moments for '${name}'`);
      tensors.push({ name: `m.${name}`, shape, dtype: 'F32' as const, data: m });
      tensors.push({ name: `v.${name}`, shape, dtype: 'F32' as const, data: v });
    }
    const bytes = encodeSafetensors({
      tensors,
      metadata: { step: String(optimizer.state.step), adamw: JSON.stringify(optimizer.config) },
    });
    files.set(OPTIMIZER_FILE, bytes);
    optimizerEntry = { sha256: sha256Hex(bytes), bytes: bytes.byteLength };
  }
  const manifest: CheckpointManifest = {
    format: FORMAT,
    step: options.step,
    [kind.name]: kind.metaOf(trainable),
    files: {
      adapter: { sha256: sha256Hex(adapter), bytes: adapter.byteLength },
      ...(optimizerEntry === undefined ? {} : { optimizer: optimizerEntry }),
    },
    metadata: { ...(options.metadata ?? {}) },
  };
  files.set(MANIFEST_FILE, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  return { files, manifest };
}

/** Parses checkpoint files (hashes verified, shapes checked against the model). */
export function decodeCheckpoint(options: {
  files: ReadonlyMap<string, Uint8Array>;
  model: LlamaConfig;
  source: string;
}): { trainable: TrainableState; optimizer?: OptimizerSnapshot; manifest: CheckpointManifest } {
  const { files, source } = options;
  const manifest = parseManifest(files.get(MANIFEST_FILE), join(source, MANIFEST_FILE));
  const adapterBytes = verified(files, ADAPTER_FILE, manifest.files.adapter, source);
  const adapter = decodeSafetensors({ bytes: adapterBytes, source: join(source, ADAPTER_FILE) });
  const { name, meta } = manifestKind(manifest);
  const trainable = trainableKindNamed(name).fromTensors({
    model: options.model,
    meta,
    tensors: new Map([...adapter.header.tensors.keys()].map((name) => [name, adapter.tensor(name)])),
    source: join(source, ADAPTER_FILE),
  });
  if (manifest.files.optimizer === undefined) return { trainable, manifest };
  const optPath = join(source, OPTIMIZER_FILE);
  const opt = decodeSafetensors({
    bytes: verified(files, OPTIMIZER_FILE, manifest.files.optimizer, source),
    source: optPath,
  });
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const name of trainable.tensors.keys()) {
    m[name] = opt.tensor(`m.${name}`);
    v[name] = opt.tensor(`v.${name}`);
  }
  const step = Number(opt.header.metadata['step']);
  if (!Number.isInteger(step) || step < 0) {
    throw new ValidationError(`expected a step count >= 0, got '${opt.header.metadata['step']}'`, {
      location: { file: optPath, field: '__metadata__.step' },
    });
  }
  let config: AdamWConfig;
  try {
    config = AdamWConfigSchema.parse(JSON.parse(opt.header.metadata['adamw'] ?? ''));
  } catch (err) {
    throw new ValidationError(`expected AdamW hyperparameters as JSON: ${(err as Error).message}`, {
      location: { file: optPath, field: '__metadata__.adamw' },
    });
  }
  return { trainable, optimizer: { state: { step, m, v }, config }, manifest };
}

function parseManifest(bytes: Uint8Array | undefined, file: string): CheckpointManifest {
  if (bytes === undefined)
    throw new ValidationError('checkpoint manifest is missing', { location: { file } });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new ValidationError(`not valid JSON: ${(err as Error).message}`, { location: { file } });
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`not a checkpoint manifest: ${issue?.message}`, {
      location: { file, field: issue?.path.join('.') ?? '' },
    });
  }
  return parsed.data;
}

function verified(
  files: ReadonlyMap<string, Uint8Array>,
  name: string,
  entry: { sha256: string },
  source: string,
): Uint8Array {
  const bytes = files.get(name);
  const file = join(source, name);
  if (bytes === undefined) throw new ValidationError('checkpoint file is missing', { location: { file } });
  const actual = sha256Hex(bytes);
  if (actual !== entry.sha256) {
    throw new ValidationError(`content hash ${actual} does not match the manifest's ${entry.sha256}`, {
      location: { file },
    });
  }
  return bytes;
}

/**
 * Writes a checkpoint folder atomically. Returns the manifest and whether the folder existed
 * already with a valid checkpoint (then nothing is written and the existing manifest is returned).
 */
export async function saveCheckpoint(options: {
  dir: string;
  trainable: TrainableState;
  optimizer?: OptimizerSnapshot;
  step: number;
  metadata?: Readonly<Record<string, string>>;
}): Promise<{ dir: string; manifest: CheckpointManifest; existed: boolean }> {
  const { dir } = options;
  const existing = await readManifest(dir);
  if (existing !== undefined) return { dir, manifest: existing, existed: true };
  const { files, manifest } = encodeCheckpoint(options);
  await mkdir(dirname(dir), { recursive: true });
  const temp = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(temp);
    // The manifest is written last: a folder without one is never taken for a checkpoint. Files
    // are flushed before the rename, so a crash never leaves a complete-looking folder of torn files
    // (and the manifest's hashes catch one on load anyway).
    for (const [name, bytes] of files) if (name !== MANIFEST_FILE) await writeSynced(join(temp, name), bytes);
    await writeSynced(join(temp, MANIFEST_FILE), files.get(MANIFEST_FILE) as Uint8Array);
    await syncPath(temp);
    await rename(temp, dir);
    await syncPath(dirname(dir));
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    // Another writer may have finished the same checkpoint first.
    const raced = await readManifest(dir);
    if (raced !== undefined) return { dir, manifest: raced, existed: true };
    throw err;
  }
  return { dir, manifest, existed: false };
}

async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync of a file or folder (a folder: makes the names in it durable). */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readManifest(dir: string): Promise<CheckpointManifest | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, MANIFEST_FILE));
  } catch {
    return undefined;
  }
  return parseManifest(bytes, join(dir, MANIFEST_FILE));
}

/** Reads and verifies a checkpoint folder against a model config. */
export async function loadCheckpoint(options: {
  dir: string;
  model: LlamaConfig;
}): Promise<{ trainable: TrainableState; optimizer?: OptimizerSnapshot; manifest: CheckpointManifest }> {
  const { dir } = options;
  const manifest = parseManifest(
    await readFile(join(dir, MANIFEST_FILE)).catch(() => undefined),
    join(dir, MANIFEST_FILE),
  );
  const files = new Map<string, Uint8Array>([
    [MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest))],
  ]);
  for (const name of [ADAPTER_FILE, ...(manifest.files.optimizer === undefined ? [] : [OPTIMIZER_FILE])]) {
    const bytes = await readFile(join(dir, name)).catch((err: unknown) => {
      throw new ValidationError(`cannot read checkpoint file: ${(err as Error).message}`, {
        location: { file: join(dir, name) },
      });
    });
    files.set(name, bytes);
  }
  return decodeCheckpoint({ files, model: options.model, source: dir });
}
