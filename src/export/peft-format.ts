import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePeftAdapter, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../models/peft/peft-adapter.ts';
import { writeSafetensors } from '../models/safetensors/safetensors-writer.ts';
import { ValidationError } from '../util/errors.ts';
import type { ExportFormat } from './export-format.ts';

/** The adapters alone, as Hugging Face PEFT reads them (see models/peft/peft-adapter.ts). */
export const peftFormat: ExportFormat = {
  name: 'peft',
  description: 'LoRA adapters for Hugging Face PEFT: adapter_config.json, adapter_model.safetensors',
  dtypes: ['f32'],
  async write({ dir, base, trainable: lora, baseModelName }) {
    if (lora.kind !== 'lora') {
      throw new ValidationError(
        `--format peft writes LoRA adapters; this checkpoint trained every weight (${lora.kind}): export it with --format hf or gguf`,
      );
    }
    const { config, tensors } = encodePeftAdapter({
      model: base.config,
      adapters: lora,
      baseModel: baseModelName,
    });
    await writeFile(join(dir, PEFT_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
    // PyTorch loaders expect the "format" entry that torch's own writer puts in the metadata.
    await writeSafetensors({ path: join(dir, PEFT_WEIGHTS_FILE), tensors, metadata: { format: 'pt' } });
    return [PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE];
  },
};
