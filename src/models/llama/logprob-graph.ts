import { GraphBuilder } from '../../graph/builder.ts';
import type { LlamaConfig } from '../config.ts';
import type { LoraConfig } from './lora.ts';
import { bindLora, type LlamaContext, llamaForward } from './model.ts';
import { tokenLogprobs } from './token-logprobs.ts';
import { type FloatType, frozenWeights, type WeightTensors } from './weights.ts';

/**
 * The log-prob graph: per-token log-probs and entropies of given tokens for a batch of padded
 * sequences (old log-probs of the rollout policy, reference log-probs with `lora_scale` = 0).
 *
 * Inputs
 *   input_ids       int64 [B, T]   prompt + response tokens, padded on either side
 *   attention_mask  int64 [B, T]   1 = real token, 0 = padding
 *   temperature     float [] (1 = raw model)
 *   lora_scale, {w}.lora_a, {w}.lora_b   when built with LoRA
 * Outputs
 *   logprobs        float [B, T]   log p(ids[t] | ids[<t]); 0 at t = 0
 *   entropies       float [B, T]   entropy of the distribution that predicted ids[t]; 0 at t = 0
 */
export interface LogprobGraphOptions {
  config: LlamaConfig;
  weights: WeightTensors;
  lora?: LoraConfig;
  /** float32 (default) or float64 (tests). */
  dtype?: FloatType;
  /** ORT fused RMSNorm/RoPE/Attention (float32 only; default true for float32). */
  fused?: boolean;
}

export const LOGPROB_IO = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  temperature: 'temperature',
  loraScale: 'lora_scale',
  logprobs: 'logprobs',
  entropies: 'entropies',
} as const;

export function buildLogprobGraph(options: LogprobGraphOptions): GraphBuilder {
  const { config } = options;
  const dtype = options.dtype ?? 'float32';
  const g = new GraphBuilder({ name: 'llama_logprobs' });
  const inputIds = g.input({ name: LOGPROB_IO.inputIds, dtype: 'int64', shape: ['B', 'T'] });
  const attentionMask = g.input({ name: LOGPROB_IO.attentionMask, dtype: 'int64', shape: ['B', 'T'] });
  const temperature = g.input({ name: LOGPROB_IO.temperature, dtype, shape: [] });
  const weights = frozenWeights({ g, config, tensors: options.weights, dtype });
  const lora = options.lora === undefined ? undefined : bindLora({ g, config, lora: options.lora, dtype });
  const ctx: LlamaContext = {
    g,
    config,
    dtype,
    weights,
    fused: (options.fused ?? true) && dtype === 'float32',
    ...(lora === undefined ? {} : { lora }),
  };
  const { hidden } = llamaForward(ctx, { inputIds, attentionMask }); // [B, T, C]
  const { logprobs, entropies } = tokenLogprobs(ctx, { hidden, inputIds, temperature });
  g.output(logprobs, LOGPROB_IO.logprobs);
  g.output(entropies, LOGPROB_IO.entropies);
  return g;
}
