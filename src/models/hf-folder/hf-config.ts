import { z } from 'zod';
import { ValidationError } from '../../util/errors.ts';
import { type LlamaConfig, LlamaConfigSchema } from '../config.ts';

const positiveInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();

/** The fields of a Hugging Face config.json that a Llama-family model needs; other keys pass. */
export const HfConfigSchema = z.looseObject({
  model_type: z.string(),
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.nullish(),
  head_dim: positiveInt.nullish(),
  intermediate_size: positiveInt,
  vocab_size: positiveInt,
  max_position_embeddings: positiveInt,
  rope_theta: z.number().positive().nullish(),
  rms_norm_eps: z.number().positive(),
  tie_word_embeddings: z.boolean().nullish(),
  hidden_act: z.literal('silu').nullish(),
  rope_scaling: z.null().optional(),
  bos_token_id: tokenId.nullish(),
  eos_token_id: z.union([tokenId, z.array(tokenId)]).nullish(),
});
export type HfConfig = z.infer<typeof HfConfigSchema>;

const HF_MODEL_TYPES = ['llama', 'qwen2', 'qwen3'];

/**
 * The model config from a Hugging Face config.json. `hasTensor` tells which optional tensors the
 * checkpoint has (biases, q/k norms), by canonical name. Hugging Face stores q/k for half-split RoPE.
 */
export function configFromHf(options: {
  json: unknown;
  file: string;
  hasTensor: (name: string) => boolean;
}): LlamaConfig {
  const { json, file, hasTensor } = options;
  const parsed = HfConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const hint = issue.path[0] === 'rope_scaling' ? ' (RoPE scaling is not supported)' : '';
    throw new ValidationError(`${issue.message}${hint}`, { location: { file, field: issue.path.join('.') } });
  }
  const hf = parsed.data;
  if (!HF_MODEL_TYPES.includes(hf.model_type)) {
    // Named with the file: the message reaches the user through a worker thread and a run's planning.
    throw new ValidationError(
      `unknown model_type '${hf.model_type}'; expected a Llama-family model, one of: ${HF_MODEL_TYPES.join(', ')}`,
      { location: { file, field: 'model_type' } },
    );
  }
  const headDim = hf.head_dim ?? hf.hidden_size / hf.num_attention_heads;
  const eos = Array.isArray(hf.eos_token_id) ? hf.eos_token_id[0] : hf.eos_token_id;
  const candidate = {
    architecture: hf.model_type,
    hiddenSize: hf.hidden_size,
    numLayers: hf.num_hidden_layers,
    numHeads: hf.num_attention_heads,
    numKvHeads: hf.num_key_value_heads ?? hf.num_attention_heads,
    headDim,
    ffnSize: hf.intermediate_size,
    vocabSize: hf.vocab_size,
    contextLength: hf.max_position_embeddings,
    ropeBase: hf.rope_theta ?? 10000,
    ropeDim: headDim,
    ropeStyle: 'half-split',
    rmsEps: hf.rms_norm_eps,
    tiedEmbeddings: hf.tie_word_embeddings ?? false,
    qkvBias: hasTensor('blk.0.attn_q.bias'),
    qkNorm: hasTensor('blk.0.attn_q_norm.weight'),
    bosTokenId: hf.bos_token_id ?? null,
    eosTokenId: eos ?? null,
  };
  const config = LlamaConfigSchema.safeParse(candidate);
  if (!config.success) {
    const issue = config.error.issues[0]!;
    throw new ValidationError(`model config: ${issue.message}`, {
      location: { file, field: issue.path.join('.') },
    });
  }
  return config.data;
}

/** Hugging Face class names of the model types we write, and the optional tensors each one has. */
const HF_ARCHITECTURES: ReadonlyMap<string, { className: string; qkvBias: boolean; qkNorm: boolean }> =
  new Map([
    ['llama', { className: 'LlamaForCausalLM', qkvBias: false, qkNorm: false }],
    ['qwen2', { className: 'Qwen2ForCausalLM', qkvBias: true, qkNorm: false }],
    ['qwen3', { className: 'Qwen3ForCausalLM', qkvBias: false, qkNorm: true }],
  ]);

/**
 * A Hugging Face config.json for a model with this config, whose weights are stored in Hugging
 * Face's (half-split) q/k order. `configFromHf` reads it back as the same model, apart from the
 * RoPE style, which a Hugging Face folder always has as half-split. A model that no Hugging Face
 * class describes (partial RoPE, a bias or norm its architecture lacks) is an error saying why.
 */
export function toHfConfig(options: { config: LlamaConfig; dtype: string }): Record<string, unknown> {
  const { config } = options;
  const arch = HF_ARCHITECTURES.get(config.architecture);
  const problem =
    arch === undefined
      ? `architecture '${config.architecture}' has no Hugging Face class here; known: ${[...HF_ARCHITECTURES.keys()].join(', ')}`
      : config.ropeDim !== config.headDim
        ? `RoPE on ${config.ropeDim} of ${config.headDim} head dimensions has no Hugging Face ${arch.className} form`
        : config.qkvBias !== arch.qkvBias || config.qkNorm !== arch.qkNorm
          ? `${arch.className} has ${arch.qkvBias ? '' : 'no '}q/k/v biases and ${arch.qkNorm ? '' : 'no '}q/k norms; this model has ${config.qkvBias ? '' : 'no '}biases and ${config.qkNorm ? '' : 'no '}norms`
          : undefined;
  if (problem !== undefined || arch === undefined)
    throw new ValidationError(`cannot write config.json: ${problem}`);
  return {
    architectures: [arch.className],
    model_type: config.architecture,
    hidden_size: config.hiddenSize,
    intermediate_size: config.ffnSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    vocab_size: config.vocabSize,
    max_position_embeddings: config.contextLength,
    rope_theta: config.ropeBase,
    rope_scaling: null,
    rms_norm_eps: config.rmsEps,
    tie_word_embeddings: config.tiedEmbeddings,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    torch_dtype: options.dtype,
  };
}
