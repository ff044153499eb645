import { z } from 'zod';
import { NonFiniteError } from './non-finite.ts';
import { ValidationError } from '../../util/errors.ts';

/**
 * AdamW (Loshchilov & Hutter, decoupled weight decay) over named float32 tensors, with bias
 * correction, following PyTorch's torch.optim.AdamW:
 *   p <- p * (1 - lr * wd)
 *   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g²
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * Arithmetic is float64 per element; parameters and moments are stored as float32.
 */
export const AdamWConfigSchema = z.object({
  lr: z.number().positive(),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  weightDecay: z.number().min(0).default(0.01),
});
export type AdamWConfig = z.infer<typeof AdamWConfigSchema>;
export type AdamWConfigInput = z.input<typeof AdamWConfigSchema>;

export interface AdamWState {
  /** Steps taken so far (t of the bias correction after the next step is step + 1). */
  step: number;
  readonly m: Record<string, Float32Array>;
  readonly v: Record<string, Float32Array>;
}

/** Zero moments shaped like the parameters, at step 0. */
export function createAdamWState(params: Readonly<Record<string, Float32Array>>): AdamWState {
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const [name, p] of Object.entries(params)) {
    m[name] = new Float32Array(p.length);
    v[name] = new Float32Array(p.length);
  }
  return { step: 0, m, v };
}

/** A deep copy (for snapshots and tests). */
export function cloneAdamWState(state: AdamWState): AdamWState {
  const copy = (r: Record<string, Float32Array>) =>
    Object.fromEntries(Object.entries(r).map(([k, a]) => [k, a.slice()]));
  return { step: state.step, m: copy(state.m), v: copy(state.v) };
}

/**
 * One AdamW update, in place. Everything is checked first (names, lengths, finite gradients), so
 * a refused step leaves parameters and state exactly as they were. `gradScale` multiplies every
 * gradient (the global-norm clipping factor) without a separate pass.
 */
export function adamwStep(options: {
  params: Record<string, Float32Array>;
  grads: Readonly<Record<string, Float32Array>>;
  state: AdamWState;
  config: AdamWConfig;
  gradScale?: number;
}): void {
  const { params, grads, state, config } = options;
  const scale = options.gradScale ?? 1;
  if (!Number.isFinite(scale)) throw new NonFiniteError(`gradient scale is ${scale}; the step is refused`);
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name];
    const m = state.m[name];
    const v = state.v[name];
    if (g === undefined || m === undefined || v === undefined) {
      throw new ValidationError(
        `AdamW: no ${g === undefined ? 'gradient' : 'optimizer state'} for '${name}'`,
      );
    }
    if (g.length !== p.length || m.length !== p.length || v.length !== p.length) {
      throw new ValidationError(`AdamW: '${name}' has ${p.length} values but its gradient or state differs`);
    }
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i] as number)) {
        throw new NonFiniteError(`gradient of '${name}' has ${g[i]} at ${i}; the step is refused`);
      }
    }
  }
  const t = state.step + 1;
  const { lr, beta1, beta2, eps, weightDecay } = config;
  const bc1 = 1 - beta1 ** t;
  const sqrtBc2 = Math.sqrt(1 - beta2 ** t);
  const stepSize = lr / bc1;
  const decay = 1 - lr * weightDecay;
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name] as Float32Array;
    const m = state.m[name] as Float32Array;
    const v = state.v[name] as Float32Array;
    for (let i = 0; i < p.length; i++) {
      const gi = (g[i] as number) * scale;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
      const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      // Read the stored (float32) moments back so a resumed run computes from the same values.
      const denom = Math.sqrt(v[i] as number) / sqrtBc2 + eps;
      p[i] = (p[i] as number) * decay - (stepSize * (m[i] as number)) / denom;
    }
  }
  state.step = t;
}
