import { NonFiniteError } from './non-finite.ts';

/**
 * Global L2 norm of a set of gradients, accumulated in float64: sqrt(sum over all tensors and
 * elements of g²). Infinity or NaN when any element is not finite.
 */
export function globalGradNorm(grads: Readonly<Record<string, Float32Array>>): number {
  let sum = 0;
  for (const g of Object.values(grads)) {
    for (let i = 0; i < g.length; i++) {
      const x = g[i] as number;
      sum += x * x;
    }
  }
  return Math.sqrt(sum);
}

/**
 * Gradient clipping by global norm: the factor min(1, maxNorm / (norm + 1e-6)) that scales every
 * gradient (PyTorch's clip_grad_norm_ rule). Non-finite gradients are refused here, before any
 * weight or optimizer state is touched.
 */
export function clipScale(options: { norm: number; maxNorm?: number }): number {
  const { norm, maxNorm } = options;
  if (!Number.isFinite(norm)) throw new NonFiniteError(`gradient norm is ${norm}; the step is refused`);
  if (maxNorm === undefined || maxNorm <= 0) return 1;
  return Math.min(1, maxNorm / (norm + 1e-6));
}
