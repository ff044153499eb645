import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { modelArgument } from '../models/default-model.ts';
import { openGgufModel } from '../models/gguf/gguf-source.ts';
import { openHfFolder } from '../models/hf-folder/hf-folder.ts';
import {
  type CheckpointSource,
  findRunCheckpoint,
  loadCheckpointFrom,
  runModel,
} from '../train/checkpoint-lookup.ts';
import { ValidationError } from '../util/errors.ts';
import { logger } from '../util/logger.ts';
import type { BaseModel } from './export-format.ts';
import { EXPORT_FORMATS } from './formats.ts';
import { checkOutputFolder, writeFolderAtomically } from './output-folder.ts';

const log = logger('export');

/** What an export wrote. */
export interface ExportResult {
  format: string;
  dtype: string;
  out: string;
  files: { name: string; bytes: number }[];
  /** The checkpoint, as `eval` names it: the run's ref and address, or the folder. */
  checkpoint: string;
  /** The base model's path. */
  model: string;
}

/**
 * Exports a checkpoint (a training run's step, or a checkpoint or PEFT folder) in a registered
 * format to the folder `out`. Everything is checked before anything is written (the format and
 * float type, that `out` is new or empty, the run and step, the base model, that the adapters fit
 * it), and the files appear in `out` together or not at all.
 */
export async function exportCheckpoint(options: {
  from: CheckpointSource;
  format: string;
  out: string;
  /** The base model: a GGUF file or HF folder (default: the run's model; for a folder, the default model). */
  model?: string;
  dtype?: string;
  /** How the files name the base model (default: the run's model name, or the model file's name). */
  baseModelName?: string;
}): Promise<ExportResult> {
  const { from } = options;
  const format = EXPORT_FORMATS.get(options.format);
  const dtype = EXPORT_FORMATS.dtype(format, options.dtype);
  const out = resolve(options.out);
  await checkOutputFolder(out);
  let modelPath = options.model;
  let modelName: string | undefined;
  if ('store' in from) {
    // A wrong run or step fails here, before the model is opened.
    await findRunCheckpoint(from);
    if (modelPath === undefined) {
      const run = await runModel({ store: from.store, trainRunId: from.trainRunId });
      modelPath = run.path;
      modelName = run.name;
    }
  }
  const path = modelArgument(modelPath);
  const base = await openBaseModel(path);
  const loaded = await loadCheckpointFrom({ from, model: base.config });
  const baseModelName = options.baseModelName ?? modelName ?? basename(path);
  const started = performance.now();
  const names = await writeFolderAtomically({
    out,
    write: (dir) => format.write({ dir, base, trainable: loaded.trainable, baseModelName, dtype }),
  });
  const files = await Promise.all(
    names.map(async (name) => ({ name, bytes: (await stat(join(out, name))).size })),
  );
  log.info(
    {
      format: format.name,
      dtype,
      out,
      checkpoint: loaded.label,
      model: path,
      ms: Math.round(performance.now() - started),
    },
    'checkpoint exported',
  );
  return { format: format.name, dtype, out, files, checkpoint: loaded.label, model: path };
}

/** A GGUF file or a Hugging Face folder, opened with its source-specific parts. */
async function openBaseModel(path: string): Promise<BaseModel> {
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) {
    throw new ValidationError('no base model here (expected a GGUF file or a Hugging Face folder)', {
      location: { file: path },
    });
  }
  return st.isDirectory() ? openHfFolder({ dir: path }) : openGgufModel({ path });
}
