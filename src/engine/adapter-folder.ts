import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LlamaConfig } from '../models/config.ts';
import { readJsonFile } from '../models/hf-folder/hf-folder.ts';
import { decodePeftAdapter, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../models/peft/peft-adapter.ts';
import { decodeSafetensors } from '../models/safetensors/safetensors-reader.ts';
import { ValidationError } from '../util/errors.ts';
import {
  ADAPTER_FILE,
  type CheckpointManifest,
  loadCheckpoint,
  MANIFEST_FILE,
  type OptimizerSnapshot,
} from './checkpoint.ts';
import { loraStateFrom } from './lora-state.ts';
import type { TrainableState } from './trainable.ts';

/**
 * What a folder trained (LoRA adapters; our checkpoints may hold fully fine-tuned weights), with
 * what the folder's kind adds (our checkpoints: a manifest).
 */
export interface AdapterFolder {
  kind: string;
  trainable: TrainableState;
  optimizer?: OptimizerSnapshot;
  manifest?: CheckpointManifest;
}

/** A kind of adapter folder: the file that marks it, and how it loads. */
interface AdapterFolderKind {
  readonly kind: string;
  readonly marker: string;
  readonly files: string;
  load(options: { dir: string; model: LlamaConfig }): Promise<AdapterFolder>;
}

/** Known kinds, tried in order: our checkpoint first (it is also what training writes). */
const KINDS: readonly AdapterFolderKind[] = [
  {
    kind: 'anchorage-checkpoint',
    marker: MANIFEST_FILE,
    files: `${MANIFEST_FILE}, ${ADAPTER_FILE}`,
    load: async (options) => ({ kind: 'anchorage-checkpoint', ...(await loadCheckpoint(options)) }),
  },
  {
    kind: 'peft',
    marker: PEFT_CONFIG_FILE,
    files: `${PEFT_CONFIG_FILE}, ${PEFT_WEIGHTS_FILE}`,
    load: loadPeftFolder,
  },
];

/**
 * The LoRA adapters of a folder: a checkpoint as training writes it (checkpoint.json) or a PEFT
 * adapter folder (adapter_config.json), checked against `model`. A folder of neither kind is an
 * error that lists what each kind holds and what the folder holds.
 */
export async function loadAdapterFolder(options: {
  dir: string;
  model: LlamaConfig;
}): Promise<AdapterFolder> {
  const { dir } = options;
  const kind = KINDS.find((k) => existsSync(join(dir, k.marker)));
  if (kind !== undefined) return kind.load(options);
  const held = await readdir(dir).catch(() => undefined);
  const what =
    held === undefined
      ? 'cannot be read'
      : held.length === 0
        ? 'is empty'
        : `holds ${held.slice(0, 8).join(', ')}`;
  const kinds = KINDS.map((k) => `${k.kind} (${k.files})`).join(' or ');
  throw new ValidationError(`expected an adapter folder, ${kinds}; the folder ${what}`, {
    location: { file: dir },
  });
}

async function loadPeftFolder(options: { dir: string; model: LlamaConfig }): Promise<AdapterFolder> {
  const { dir, model } = options;
  const configFile = join(dir, PEFT_CONFIG_FILE);
  const weightsFile = join(dir, PEFT_WEIGHTS_FILE);
  const configJson = await readJsonFile(configFile);
  const bytes = await readFile(weightsFile).catch((err: unknown) => {
    throw new ValidationError(`cannot read the adapter weights: ${(err as Error).message}`, {
      location: { file: weightsFile },
    });
  });
  const decoded = decodeSafetensors({ bytes, source: weightsFile });
  const shapes = new Map([...decoded.header.tensors].map(([name, info]) => [name, info.shape] as const));
  const adapters = decodePeftAdapter({
    model,
    configJson,
    configFile,
    weights: { file: weightsFile, shapes, tensor: decoded.tensor },
  });
  const lora = loraStateFrom({
    model,
    lora: adapters.config,
    tensors: adapters.tensors,
    source: weightsFile,
  });
  return { kind: 'peft', trainable: lora };
}
