import type { LlamaConfig } from '../../models/config.ts';

/**
 * Floating-point operations of one LoRA training step, counting multiply-adds as 2:
 *   forward   2·N·tokens (every projection and the output head, N = their weight count)
 *             + 4·B·T²·(H·D)·layers (attention scores and the weighted sum, full T×T as computed)
 *   backward  2 × forward: gradients with respect to activations (2 matmuls per forward matmul for
 *             the inputs is the usual 4N, but frozen base weights need no weight gradient, so 2N)
 *             plus attention's backward.
 * LoRA's own matmuls (rank r) add under 1% at r = 16 and are left out. The result is a lower bound
 * of the work a step does, the usual basis for "achieved GFLOP/s".
 */
export function loraStepFlops(options: { config: LlamaConfig; batch: number; seqLen: number }): number {
  const { config: c, batch, seqLen } = options;
  const weights = matmulWeights(c);
  const tokens = batch * seqLen;
  const attention = 4 * batch * seqLen * seqLen * c.numHeads * c.headDim * c.numLayers;
  const forward = 2 * weights * tokens + attention;
  return 2 * forward;
}

/**
 * Floating-point operations of one full fine-tuning step: as `loraStepFlops`, plus the weight
 * gradients of every projection and the head (another 2·N·tokens, the other half of the usual
 * 4N backward) and attention's backward once more: 3 × forward in all.
 */
export function fullStepFlops(options: { config: LlamaConfig; batch: number; seqLen: number }): number {
  return (3 / 2) * loraStepFlops(options);
}

/** Weights that multiply every token: the projections of every layer and the output head. */
export function matmulWeights(c: LlamaConfig): number {
  const qo = 2 * c.hiddenSize * c.numHeads * c.headDim;
  const kv = 2 * c.hiddenSize * c.numKvHeads * c.headDim;
  const mlp = 3 * c.hiddenSize * c.ffnSize;
  const head = c.vocabSize * c.hiddenSize;
  return c.numLayers * (qo + kv + mlp) + head;
}

/**
 * Floating-point operations of generating one token after `context` cached tokens: 2 per weight
 * (one multiply-add) plus attention over the context, 4·context·H·D per layer. SmolLM2-135M: about
 * 0.27 GFLOP per token. The basis of a rollout's achieved GFLOP/s and of its GEMM-derived limit.
 */
export function decodeFlopsPerToken(options: { config: LlamaConfig; context: number }): number {
  const c = options.config;
  return 2 * matmulWeights(c) + 4 * options.context * c.numHeads * c.headDim * c.numLayers;
}
