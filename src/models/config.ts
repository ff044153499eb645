import { z } from 'zod';

/**
 * The Llama-family model description every loader produces and the model code consumes, plus the
 * canonical weight names shared by all sources.
 *
 * RoPE style. A model's q/k projection rows are laid out for one of two RoPE pairings, and the layout
 * depends on where the weights came from, not only on the architecture:
 * - 'adjacent-pair': rotate dims (2i, 2i+1) of each head (llama.cpp ROPE_TYPE_NORM, ORT
 *   RotaryEmbedding interleaved=1). GGUF files of architecture `llama` use this: the converter permuted
 *   the q/k rows of the Hugging Face checkpoint into this order.
 * - 'half-split': rotate dims (i, i + d/2) (Hugging Face `rotate_half`, llama.cpp ROPE_TYPE_NEOX, ORT
 *   interleaved=0). Hugging Face checkpoints of every architecture use this, and so do GGUF files of
 *   qwen2/qwen3/phi3/gemma, which the converter does not permute.
 * The same model loaded from GGUF and from its HF folder therefore has different q/k row orders and a
 * different `ropeStyle`, and both compute the same attention scores.
 */
export const RopeStyleSchema = z.enum(['adjacent-pair', 'half-split']);
export type RopeStyle = z.infer<typeof RopeStyleSchema>;

const positiveInt = z.number().int().positive();

export const LlamaConfigSchema = z
  .object({
    /** Source architecture name: GGUF `general.architecture` or the HF `model_type` (llama, qwen2, ...). */
    architecture: z.string().min(1),
    hiddenSize: positiveInt,
    numLayers: positiveInt,
    numHeads: positiveInt,
    numKvHeads: positiveInt,
    headDim: positiveInt,
    ffnSize: positiveInt,
    vocabSize: positiveInt,
    contextLength: positiveInt,
    ropeBase: z.number().positive(),
    /** Dimensions of each head that RoPE rotates (the rest pass through); usually headDim. */
    ropeDim: positiveInt,
    ropeStyle: RopeStyleSchema,
    rmsEps: z.number().positive(),
    /** The output projection reuses token_embd.weight (no output.weight tensor). */
    tiedEmbeddings: z.boolean(),
    /** attn_q/attn_k/attn_v carry biases (Qwen2). */
    qkvBias: z.boolean(),
    /** Per-head RMSNorm of q and k before RoPE (Qwen3). */
    qkNorm: z.boolean(),
    bosTokenId: z.number().int().nonnegative().nullable(),
    eosTokenId: z.number().int().nonnegative().nullable(),
  })
  .superRefine((c, ctx) => {
    if (c.numHeads % c.numKvHeads !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['numKvHeads'],
        message: `numHeads (${c.numHeads}) must be a multiple of numKvHeads (${c.numKvHeads})`,
      });
    }
    if (c.ropeDim > c.headDim || c.ropeDim % 2 !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['ropeDim'],
        message: `ropeDim (${c.ropeDim}) must be even and at most headDim (${c.headDim})`,
      });
    }
  });
export type LlamaConfig = z.infer<typeof LlamaConfigSchema>;

/**
 * Canonical weight names (GGUF style), whatever the source. Matrices are row-major [out, in]:
 * attn_q [numHeads·headDim, hidden], attn_k/attn_v [numKvHeads·headDim, hidden],
 * attn_output [hidden, numHeads·headDim], ffn_gate/ffn_up [ffn, hidden], ffn_down [hidden, ffn],
 * token_embd/output [vocab, hidden]; norms and biases are vectors.
 */
export const GLOBAL_WEIGHTS = {
  tokenEmbedding: 'token_embd.weight',
  outputNorm: 'output_norm.weight',
  output: 'output.weight',
} as const;

export const LAYER_WEIGHTS = [
  'attn_norm.weight',
  'attn_q.weight',
  'attn_k.weight',
  'attn_v.weight',
  'attn_output.weight',
  'ffn_norm.weight',
  'ffn_gate.weight',
  'ffn_up.weight',
  'ffn_down.weight',
] as const;
export const LAYER_BIASES = ['attn_q.bias', 'attn_k.bias', 'attn_v.bias'] as const;
export const LAYER_QK_NORMS = ['attn_q_norm.weight', 'attn_k_norm.weight'] as const;

export function layerWeightName(layer: number, suffix: string): string {
  return `blk.${layer}.${suffix}`;
}

/** Every canonical weight name a model with this config needs, with its row-major shape. */
export function expectedWeights(config: LlamaConfig): Map<string, number[]> {
  const { hiddenSize: h, headDim: d, numHeads, numKvHeads, ffnSize, vocabSize } = config;
  const out = new Map<string, number[]>();
  out.set(GLOBAL_WEIGHTS.tokenEmbedding, [vocabSize, h]);
  out.set(GLOBAL_WEIGHTS.outputNorm, [h]);
  if (!config.tiedEmbeddings) out.set(GLOBAL_WEIGHTS.output, [vocabSize, h]);
  const shapes: Record<string, number[]> = {
    'attn_norm.weight': [h],
    'attn_q.weight': [numHeads * d, h],
    'attn_k.weight': [numKvHeads * d, h],
    'attn_v.weight': [numKvHeads * d, h],
    'attn_output.weight': [h, numHeads * d],
    'ffn_norm.weight': [h],
    'ffn_gate.weight': [ffnSize, h],
    'ffn_up.weight': [ffnSize, h],
    'ffn_down.weight': [h, ffnSize],
    'attn_q.bias': [numHeads * d],
    'attn_k.bias': [numKvHeads * d],
    'attn_v.bias': [numKvHeads * d],
    'attn_q_norm.weight': [d],
    'attn_k_norm.weight': [d],
  };
  const suffixes: string[] = [...LAYER_WEIGHTS];
  if (config.qkvBias) suffixes.push(...LAYER_BIASES);
  if (config.qkNorm) suffixes.push(...LAYER_QK_NORMS);
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const suffix of suffixes) out.set(layerWeightName(layer, suffix), shapes[suffix]!);
  }
  return out;
}

/** One weight as a source stores it. */
export interface WeightInfo {
  readonly name: string;
  /** Row-major shape, slowest first. */
  readonly shape: readonly number[];
  /** Storage type in the source: a ggml type name (Q4_1, F32, ...) or a safetensors dtype (BF16, ...). */
  readonly storage: string;
}

/** A loaded model file or folder: its config and lazy access to its weights by canonical name. */
export interface ModelSource {
  readonly path: string;
  readonly format: 'gguf' | 'hf-folder';
  readonly config: LlamaConfig;
  readonly weights: ReadonlyMap<string, WeightInfo>;
  /** One weight dequantised/converted to float32, row-major. Reads only that weight's bytes. */
  loadWeight(name: string): Promise<Float32Array>;
}
