import type { ModelSource } from '../../config.ts';
import { layerWeightName, type LlamaConfig } from '../../config.ts';
import { readGgufTensorBytes } from '../../gguf/gguf-reader.ts';
import type { GgufModelSource } from '../../gguf/gguf-source.ts';
import type { WeightTensors } from '../weights.ts';
import { type PackedWeight, packQ4_0, packQ4_1, packQ8_0, quantizeQ4, quantizeQ8 } from './packed-weight.ts';

/**
 * Packing a model's matrices for MatMulNBits. Scheme 'q4': every attention and MLP projection in 4
 * bits, the output head in 8 bits (it is the largest matrix of a small model and the one whose
 * errors reach the logits directly). Blocks a GGUF file already stores as Q4_0, Q4_1 or Q8_0 are
 * repacked bit for bit; other storage (F32, F16, BF16, k-quants) is quantised from float32.
 */
export type QuantScheme = 'f32' | 'q4';
export const QUANT_SCHEMES: readonly QuantScheme[] = ['f32', 'q4'];

/** Packed matrices by canonical weight name. */
export type PackedWeights = ReadonlyMap<string, PackedWeight>;

const PROJECTIONS = [
  'attn_q.weight',
  'attn_k.weight',
  'attn_v.weight',
  'attn_output.weight',
  'ffn_gate.weight',
  'ffn_up.weight',
  'ffn_down.weight',
];

/** The matrices the q4 scheme packs, with their bit width. */
export function quantizedWeightNames(config: LlamaConfig): Map<string, 4 | 8> {
  const out = new Map<string, 4 | 8>();
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const suffix of PROJECTIONS) out.set(layerWeightName(layer, suffix), 4);
  }
  out.set(config.tiedEmbeddings ? 'token_embd.weight' : 'output.weight', 8);
  return out;
}

const FROM_BLOCKS: Readonly<
  Record<string, (o: { bytes: Uint8Array; rows: number; cols: number }) => PackedWeight>
> = {
  Q4_0: packQ4_0,
  Q4_1: packQ4_1,
  Q8_0: packQ8_0,
};

/**
 * Packs the matrices of `quantizedWeightNames` from `source` (raw blocks where the file has them)
 * or from the float32 `weights` already loaded. `fromFile: false` packs from `weights` only (they
 * are not the file's: fully fine-tuned weights).
 */
export async function packWeights(options: {
  source: ModelSource;
  weights: WeightTensors;
  fromFile?: boolean;
}): Promise<Map<string, PackedWeight>> {
  const { source, weights } = options;
  const out = new Map<string, PackedWeight>();
  for (const [name, bits] of quantizedWeightNames(source.config)) {
    const tensor = weights.get(name);
    const info = source.weights.get(name);
    if (tensor === undefined || info === undefined) continue;
    const [rows, cols] = tensor.dims as [number, number];
    const fromBlocks =
      source.format === 'gguf' && options.fromFile !== false ? FROM_BLOCKS[info.storage] : undefined;
    // A Q8_0 projection stays 8-bit (repacking is exact); 4-bit blocks never become the 8-bit head.
    const exactFits = fromBlocks !== undefined && (bits === 4 || info.storage === 'Q8_0');
    if (exactFits) {
      const bytes = await readGgufTensorBytes({ header: (source as GgufModelSource).header, name });
      out.set(name, fromBlocks({ bytes, rows, cols }));
      continue;
    }
    const weight = tensor.data as Float32Array;
    out.set(name, bits === 4 ? quantizeQ4({ weight, rows, cols }) : quantizeQ8({ weight, rows, cols }));
  }
  return out;
}
