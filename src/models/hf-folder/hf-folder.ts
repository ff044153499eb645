import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../../util/errors.ts';
import { expectedWeights, type LlamaConfig, type ModelSource, type WeightInfo } from '../config.ts';
import {
  readSafetensorsHeader,
  readSafetensorsTensor,
  type SafetensorsHeader,
} from '../safetensors/safetensors-reader.ts';
import { configFromHf } from './hf-config.ts';
import { canonicalWeightName } from './hf-weight-names.ts';

const SINGLE_FILE = 'model.safetensors';
const INDEX_FILE = 'model.safetensors.index.json';

const IndexSchema = z.looseObject({ weight_map: z.record(z.string(), z.string()) });

/** A Hugging Face model folder as a ModelSource, weights under canonical names. */
export interface HfModelSource extends ModelSource {
  readonly format: 'hf-folder';
  /** Parameters in the checkpoint that the model does not use (e.g. rotary inv_freq buffers). */
  readonly ignored: readonly string[];
}

export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read: ${(err as Error).message}`, { location: { file: path } });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`not valid JSON: ${(err as Error).message}`, { location: { file: path } });
  }
}

/** Where each Hugging Face parameter lives: one file, or the shards an index names. */
async function weightFiles(dir: string): Promise<Map<string, string>> {
  const indexPath = join(dir, INDEX_FILE);
  if (existsSync(indexPath)) {
    const parsed = IndexSchema.safeParse(await readJsonFile(indexPath));
    if (!parsed.success) {
      throw new ValidationError('expected {"weight_map": {parameter: shard file}}', {
        location: { file: indexPath, field: parsed.error.issues[0]!.path.join('.') },
      });
    }
    return new Map(Object.entries(parsed.data.weight_map).map(([name, shard]) => [name, join(dir, shard)]));
  }
  const single = join(dir, SINGLE_FILE);
  if (!existsSync(single)) {
    throw new ValidationError(`expected ${SINGLE_FILE} or ${INDEX_FILE} in the model folder`, {
      location: { file: dir },
    });
  }
  const header = await readSafetensorsHeader({ path: single });
  return new Map([...header.tensors.keys()].map((name) => [name, single]));
}

/**
 * Open a Hugging Face model folder: config.json and safetensors weights (single file or sharded
 * with an index). Only headers are read here; `loadWeight` reads one tensor's bytes.
 */
export async function openHfFolder(options: { dir: string }): Promise<HfModelSource> {
  const { dir } = options;
  const configPath = join(dir, 'config.json');
  const configJson = await readJsonFile(configPath);
  const files = await weightFiles(dir);
  const headers = new Map<string, SafetensorsHeader>();
  for (const file of new Set(files.values())) headers.set(file, await readSafetensorsHeader({ path: file }));

  const located = new Map<string, { header: SafetensorsHeader; hfName: string }>();
  const ignored: string[] = [];
  for (const [hfName, file] of files) {
    const header = headers.get(file)!;
    if (!header.tensors.has(hfName)) {
      throw new ValidationError(`the index places '${hfName}' in this file, which does not hold it`, {
        location: { file },
      });
    }
    const canonical = canonicalWeightName(hfName);
    if (canonical === undefined) ignored.push(hfName);
    else located.set(canonical, { header, hfName });
  }
  const config = configFromHf({ json: configJson, file: configPath, hasTensor: (name) => located.has(name) });
  if (config.tiedEmbeddings && located.has('output.weight')) {
    // A tied checkpoint may still store lm_head (a copy of the embedding): the model uses token_embd.
    ignored.push('lm_head.weight');
    located.delete('output.weight');
  }
  const weights = checkWeights({ dir, config, located });
  return {
    path: dir,
    format: 'hf-folder',
    config,
    weights,
    ignored,
    loadWeight: (name) => {
      const entry = located.get(name);
      if (entry === undefined || !weights.has(name)) {
        throw new ValidationError(`no weight named '${name}'`, { location: { file: dir } });
      }
      return readSafetensorsTensor({ header: entry.header, name: entry.hfName });
    },
  };
}

function checkWeights(options: {
  dir: string;
  config: LlamaConfig;
  located: Map<string, { header: SafetensorsHeader; hfName: string }>;
}): Map<string, WeightInfo> {
  const { dir, config, located } = options;
  const weights = new Map<string, WeightInfo>();
  const problems: string[] = [];
  for (const [name, shape] of expectedWeights(config)) {
    const entry = located.get(name);
    const info = entry?.header.tensors.get(entry.hfName);
    if (entry === undefined || info === undefined) {
      problems.push(`missing '${name}'`);
      continue;
    }
    if (info.shape.join(',') !== shape.join(',')) {
      problems.push(`'${entry.hfName}' has shape [${info.shape}], expected [${shape}]`);
      continue;
    }
    weights.set(name, { name, shape: info.shape, storage: info.dtype });
  }
  if (problems.length > 0) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new ValidationError(`weights do not match config.json: ${problems.slice(0, 5).join('; ')}${more}`, {
      location: { file: dir },
    });
  }
  return weights;
}
