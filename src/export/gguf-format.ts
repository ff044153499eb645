import { join } from 'node:path';
import type { GgufValue } from '../models/gguf/gguf-metadata.ts';
import { readGgufTensor } from '../models/gguf/gguf-reader.ts';
import { type GgufWriterTensor, writeGguf } from '../models/gguf/gguf-writer.ts';
import { ValidationError } from '../util/errors.ts';
import type { ExportFormat } from './export-format.ts';
import { mergedWeights } from './merged-weights.ts';

const FILE = 'model.gguf';
/** llama.cpp's `general.file_type` for a file of this float type (llama_ftype). */
const DTYPES: Readonly<Record<string, { matrix: 'F32' | 'F16'; fileType: number }>> = {
  f32: { matrix: 'F32', fileType: 0 },
  f16: { matrix: 'F16', fileType: 1 },
};

/**
 * The adapters merged into the base weights, as a GGUF file llama.cpp runs: the base file's
 * metadata (tokenizer, chat template, hyperparameters) and every one of its tensors, dequantised,
 * adapted ones merged, written as F32 (or matrices as F16; vectors stay F32 as llama.cpp wants).
 * The base must be a GGUF file: its tensors are already in llama.cpp's names and row order.
 */
export const ggufFormat: ExportFormat = {
  name: 'gguf',
  description: 'merged weights as one GGUF file for llama.cpp (model.gguf)',
  dtypes: Object.keys(DTYPES),
  async write({ dir, base, trainable, dtype, baseModelName }) {
    if (base.format !== 'gguf') {
      throw new ValidationError(
        'export --format gguf needs a GGUF base model; this base is a Hugging Face folder: export --format hf and convert that folder with llama.cpp',
        { location: { file: base.path } },
      );
    }
    const type = DTYPES[dtype]!;
    const metadata = new Map<string, GgufValue>(base.header.metadata.entries);
    metadata.set('general.file_type', { type: 'u32', value: type.fileType });
    metadata.set('general.name', { type: 'string', value: `${baseModelName} (merged LoRA)` });
    // Only quantised files carry a quantisation version.
    metadata.delete('general.quantization_version');
    const weight = mergedWeights({ source: base, trainable });
    const tensors: GgufWriterTensor[] = [];
    // Tensors the model does not read (rope_freqs, for one) are kept as they are.
    for (const info of base.header.tensors) {
      const data = base.weights.has(info.name)
        ? await weight(info.name)
        : await readGgufTensor({ header: base.header, name: info.name });
      tensors.push({
        name: info.name,
        shape: info.shape,
        type: info.shape.length > 1 ? type.matrix : 'F32',
        data,
      });
    }
    await writeGguf({ path: join(dir, FILE), metadata, tensors });
    return [FILE];
  },
};
