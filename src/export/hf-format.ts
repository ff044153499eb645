import { copyFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectedWeights } from '../models/config.ts';
import { toHfConfig } from '../models/hf-folder/hf-config.ts';
import { hfRowOrder } from '../models/hf-folder/hf-row-order.ts';
import { hfWeightName } from '../models/hf-folder/hf-weight-names.ts';
import type { SafetensorsFloatDtype } from '../models/safetensors/safetensors-format.ts';
import { writeSafetensors, type SafetensorsWriterTensor } from '../models/safetensors/safetensors-writer.ts';
import { ggufTokenizerOptions } from '../models/tokenizer/gguf-tokenizer.ts';
import { hfTokenizerFiles } from '../models/tokenizer/hf-tokenizer.ts';
import type { BaseModel, ExportFormat } from './export-format.ts';
import { mergedWeights } from './merged-weights.ts';

const WEIGHTS_FILE = 'model.safetensors';
/** Files of a Hugging Face source folder that describe its tokenizer and generation defaults. */
const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'generation_config.json',
];
const DTYPES: Readonly<Record<string, { safetensors: SafetensorsFloatDtype; torch: string }>> = {
  f32: { safetensors: 'F32', torch: 'float32' },
  f16: { safetensors: 'F16', torch: 'float16' },
  bf16: { safetensors: 'BF16', torch: 'bfloat16' },
};

/**
 * The adapters merged into the base weights, as a Hugging Face model folder: config.json,
 * model.safetensors (Hugging Face names, q/k in half-split order) and the tokenizer files (copied
 * from a Hugging Face base, rebuilt from the metadata of a GGUF base).
 */
export const hfFormat: ExportFormat = {
  name: 'hf',
  description: 'merged weights as a Hugging Face folder: config.json, model.safetensors, tokenizer files',
  dtypes: Object.keys(DTYPES),
  async write({ dir, base, trainable, dtype }) {
    const type = DTYPES[dtype]!;
    const config = toHfConfig({ config: base.config, dtype: type.torch });
    const weight = mergedWeights({ source: base, trainable });
    const tensors: SafetensorsWriterTensor[] = [];
    for (const [name, shape] of expectedWeights(base.config)) {
      const data = hfRowOrder({
        config: base.config,
        name,
        data: await weight(name),
        rowLength: shape[1] ?? 1,
        direction: 'to-hf',
      });
      tensors.push({ name: hfWeightName(name) as string, shape, dtype: type.safetensors, data });
    }
    await writeFile(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    await writeSafetensors({ path: join(dir, WEIGHTS_FILE), tensors, metadata: { format: 'pt' } });
    return ['config.json', WEIGHTS_FILE, ...(await writeTokenizer(base, dir))];
  },
};

async function writeTokenizer(base: BaseModel, dir: string): Promise<string[]> {
  if (base.format === 'hf-folder') {
    const present = TOKENIZER_FILES.filter((f) => existsSync(join(base.path, f)));
    for (const f of present) await copyFile(join(base.path, f), join(dir, f));
    return present;
  }
  const files = hfTokenizerFiles(ggufTokenizerOptions({ header: base.header }));
  for (const [name, json] of files) await writeFile(join(dir, name), `${JSON.stringify(json)}\n`);
  return [...files.keys()];
}
