import { stat } from 'node:fs/promises';
import type { ModelSource } from '../models/config.ts';
import { openGgufModel } from '../models/gguf/gguf-source.ts';
import { openHfFolder } from '../models/hf-folder/hf-folder.ts';
import { tokenizerFromGguf } from '../models/tokenizer/gguf-tokenizer.ts';
import { tokenizerFromHfFolder } from '../models/tokenizer/hf-tokenizer.ts';
import type { TextTokenizer } from '../models/tokenizer/text-tokenizer.ts';
import { ValidationError } from '../util/errors.ts';

/** A model on disk opened for the engine: its weights (lazily read) and its tokenizer. */
export interface OpenedModel {
  readonly source: ModelSource;
  readonly tokenizer: TextTokenizer;
}

/**
 * Opens a GGUF file or a Hugging Face folder (config.json + safetensors + tokenizer.json). Only
 * headers are read; weights load later, one tensor at a time.
 */
export async function openModel(options: { path: string }): Promise<OpenedModel> {
  const { path } = options;
  const info = await stat(path).catch((err: unknown) => {
    throw new ValidationError(`cannot open the model: ${(err as Error).message}`, {
      location: { file: path },
    });
  });
  if (info.isDirectory()) {
    const [source, tokenizer] = await Promise.all([
      openHfFolder({ dir: path }),
      tokenizerFromHfFolder({ dir: path }),
    ]);
    return { source, tokenizer };
  }
  const source = await openGgufModel({ path });
  return { source, tokenizer: tokenizerFromGguf({ header: source.header }) };
}
