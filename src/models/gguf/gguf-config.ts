import { UnknownNameError, ValidationError } from '../../util/errors.ts';
import { type LlamaConfig, LlamaConfigSchema, type RopeStyle } from '../config.ts';
import type { GgufHeader } from './gguf-reader.ts';

/**
 * Architectures whose GGUF tensors follow the Llama layout, with the RoPE pairing their q/k rows are
 * stored for (see config.ts): llama.cpp's converter permutes `llama` q/k into adjacent pairs and leaves
 * the NEOX-style architectures in Hugging Face's half-split order.
 */
const GGUF_ARCHITECTURES: ReadonlyMap<string, { ropeStyle: RopeStyle }> = new Map([
  ['llama', { ropeStyle: 'adjacent-pair' }],
  ['qwen2', { ropeStyle: 'half-split' }],
  ['qwen3', { ropeStyle: 'half-split' }],
]);

/** The model config from a GGUF file's metadata and tensor list. */
export function configFromGguf(options: { header: GgufHeader }): LlamaConfig {
  const { header } = options;
  const meta = header.metadata;
  const architecture = meta.string('general.architecture');
  const arch = GGUF_ARCHITECTURES.get(architecture);
  if (arch === undefined) {
    throw new UnknownNameError('GGUF architecture', architecture, [...GGUF_ARCHITECTURES.keys()]);
  }
  const key = (name: string) => `${architecture}.${name}`;
  const hiddenSize = meta.number(key('embedding_length'));
  const numHeads = meta.number(key('attention.head_count'));
  const headDim = meta.optionalNumber(key('attention.key_length')) ?? hiddenSize / numHeads;
  const embedding = header.tensorsByName.get('token_embd.weight');
  const vocabSize =
    meta.optionalNumber(key('vocab_size')) ??
    meta.optionalStringArray('tokenizer.ggml.tokens')?.length ??
    embedding?.shape[0];
  const has = (name: string) => header.tensorsByName.has(name);
  const candidate = {
    architecture,
    hiddenSize,
    numLayers: meta.number(key('block_count')),
    numHeads,
    numKvHeads: meta.optionalNumber(key('attention.head_count_kv')) ?? numHeads,
    headDim,
    ffnSize: meta.number(key('feed_forward_length')),
    vocabSize,
    contextLength: meta.number(key('context_length')),
    // llama.cpp's default when the key is absent.
    ropeBase: meta.optionalNumber(key('rope.freq_base')) ?? 10000,
    ropeDim: meta.optionalNumber(key('rope.dimension_count')) ?? headDim,
    ropeStyle: arch.ropeStyle,
    rmsEps: meta.number(key('attention.layer_norm_rms_epsilon')),
    tiedEmbeddings: !has('output.weight'),
    qkvBias: has('blk.0.attn_q.bias'),
    qkNorm: has('blk.0.attn_q_norm.weight'),
    bosTokenId: meta.optionalNumber('tokenizer.ggml.bos_token_id') ?? null,
    eosTokenId: meta.optionalNumber('tokenizer.ggml.eos_token_id') ?? null,
  };
  const parsed = LlamaConfigSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`model config from metadata: ${issue.message}`, {
      location: { file: header.file, field: issue.path.join('.') },
    });
  }
  return parsed.data;
}
