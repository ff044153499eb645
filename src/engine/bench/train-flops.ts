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
  const qo = 2 * c.hiddenSize * c.numHeads * c.headDim;
  const kv = 2 * c.hiddenSize * c.numKvHeads * c.headDim;
  const mlp = 3 * c.hiddenSize * c.ffnSize;
  const head = c.vocabSize * c.hiddenSize;
  const weights = c.numLayers * (qo + kv + mlp) + head;
  const tokens = batch * seqLen;
  const attention = 4 * batch * seqLen * seqLen * c.numHeads * c.headDim * c.numLayers;
  const forward = 2 * weights * tokens + attention;
  return 2 * forward;
}
