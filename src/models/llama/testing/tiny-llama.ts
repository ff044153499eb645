import type { Rng } from '../../../graph/random.ts';
import { fromData, type HostTensor } from '../../../graph/tensor.ts';
import { expectedWeights, type LlamaConfig, LlamaConfigSchema } from '../../config.ts';
import type { GgufValue } from '../../gguf/gguf-metadata.ts';
import { writeGguf } from '../../gguf/gguf-writer.ts';
import type { FloatType } from '../weights.ts';

/**
 * A tiny random Llama-family model for tests: a config, seeded random weights, and an F32 GGUF
 * file of it that llama.cpp loads (with a 256-byte GPT-2 style vocabulary plus control tokens).
 */
export function tinyConfig(
  options: { architecture?: 'llama' | 'qwen2' | 'qwen3'; vocabSize?: number; ropeDim?: number } = {},
): LlamaConfig {
  const architecture = options.architecture ?? 'llama';
  const qwen = architecture !== 'llama';
  return LlamaConfigSchema.parse({
    architecture,
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    ffnSize: 96,
    vocabSize: options.vocabSize ?? 260,
    contextLength: 128,
    ropeBase: qwen ? 1000000 : 10000,
    ropeDim: options.ropeDim ?? 16,
    ropeStyle: qwen ? 'half-split' : 'adjacent-pair',
    rmsEps: Math.fround(qwen ? 1e-6 : 1e-5),
    tiedEmbeddings: !qwen,
    qkvBias: architecture === 'qwen2',
    qkNorm: architecture === 'qwen3',
    bosTokenId: 256,
    eosTokenId: 257,
  });
}

/**
 * Seeded weights: matrices ~ N(0, 1/in), the embedding ~ N(0, 1), norm weights ~ 1 ± 0.2, biases
 * ~ N(0, 0.1). Values are rounded to float32 first, so the float32 and float64 tensors (and the F32
 * GGUF) hold exactly the same numbers.
 */
export function randomWeights(options: {
  config: LlamaConfig;
  rng: Rng;
  dtype?: FloatType;
}): Map<string, HostTensor> {
  const dtype = options.dtype ?? 'float32';
  const out = new Map<string, HostTensor>();
  for (const [name, dims] of expectedWeights(options.config)) {
    const size = dims.reduce((a, b) => a * b, 1);
    const data = dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
    const isNorm = name.endsWith('norm.weight');
    const isBias = name.endsWith('.bias');
    const std = name === 'token_embd.weight' ? 1 : isBias ? 0.1 : 1 / Math.sqrt(dims[1] ?? 1);
    for (let i = 0; i < size; i++) {
      const r = options.rng.normal();
      data[i] = Math.fround(isNorm ? 1 + 0.2 * r : std * r);
    }
    out.set(name, fromData({ dtype, dims, data }));
  }
  return out;
}

/** The same weights in another float type (exact: the values are float32 numbers). */
export function castWeights(
  weights: ReadonlyMap<string, HostTensor>,
  dtype: FloatType,
): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of weights) {
    const data =
      dtype === 'float32'
        ? Float32Array.from(t.data as Float64Array)
        : Float64Array.from(t.data as Float32Array);
    out.set(name, fromData({ dtype, dims: t.dims, data }));
  }
  return out;
}

/** GPT-2's printable stand-ins for the 256 byte values (bytes_to_unicode). */
function byteTokens(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const tokens: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    tokens.push(String.fromCodePoint(printable.includes(b) ? b : 256 + extra++));
  }
  return tokens;
}

/** GGUF metadata that llama.cpp needs for a model with this config. */
export function ggufMetadata(config: LlamaConfig): Map<string, GgufValue> {
  const arch = config.architecture;
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const f32 = (value: number): GgufValue => ({ type: 'f32', value });
  const tokens = byteTokens();
  while (tokens.length < config.vocabSize) tokens.push(`<|control_${tokens.length}|>`);
  const types = tokens.map((_, i) => (i < 256 ? 1 : 3));
  return new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: `tiny-${arch}` }],
    ['general.alignment', u32(32)],
    [`${arch}.context_length`, u32(config.contextLength)],
    [`${arch}.embedding_length`, u32(config.hiddenSize)],
    [`${arch}.block_count`, u32(config.numLayers)],
    [`${arch}.feed_forward_length`, u32(config.ffnSize)],
    [`${arch}.attention.head_count`, u32(config.numHeads)],
    [`${arch}.attention.head_count_kv`, u32(config.numKvHeads)],
    [`${arch}.attention.layer_norm_rms_epsilon`, f32(config.rmsEps)],
    [`${arch}.rope.freq_base`, f32(config.ropeBase)],
    [`${arch}.rope.dimension_count`, u32(config.ropeDim)],
    [`${arch}.vocab_size`, u32(config.vocabSize)],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'gpt-2' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', items: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', items: types }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', items: [] }],
    ['tokenizer.ggml.bos_token_id', u32(config.bosTokenId ?? 256)],
    ['tokenizer.ggml.eos_token_id', u32(config.eosTokenId ?? 257)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
  ]);
}

/** Writes the weights as an F32 GGUF llama.cpp can run. */
export async function writeModelGguf(options: {
  path: string;
  config: LlamaConfig;
  weights: ReadonlyMap<string, HostTensor>;
  metadata?: ReadonlyMap<string, GgufValue>;
}): Promise<void> {
  const tensors = [...expectedWeights(options.config).keys()].map((name) => {
    const t = options.weights.get(name) as HostTensor;
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array);
    return { name, shape: t.dims, type: 'F32' as const, data };
  });
  await writeGguf({
    path: options.path,
    metadata: options.metadata ?? ggufMetadata(options.config),
    tensors,
  });
}
