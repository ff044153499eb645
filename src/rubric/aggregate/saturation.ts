import type { Aggregation } from '../schema.ts';

/** Below this curvature the closed form loses precision to subnormals; its Taylor expansion is exact enough. */
const SMALL_A = 1e-6;

/**
 * Saturation-aware transform: x -> (1 - exp(-a x)) / (1 - exp(-a)), a > 0.
 * Concave, maps 0 to 0 and 1 to 1, so the first gains on a criterion are worth more than the last
 * ones: maxing out one criterion pays less than lifting several. Written with `expm1` so small a
 * does not cancel catastrophically; as a -> 0 the map tends to the identity.
 */
export function saturate(options: { x: number; a: number }): number {
  const { x, a } = options;
  if (a < SMALL_A) {
    // (1 - e^{-ax}) / (1 - e^{-a}) = x (1 + a (1 - x) / 2) + O(a^2).
    return x * (1 + (a * (1 - x)) / 2);
  }
  return Math.expm1(-a * x) / Math.expm1(-a);
}

/**
 * The curvature that applies to a criterion: its own override, else the rubric's, else none
 * (undefined: the transformed score equals the normalised score).
 */
export function saturationFor(options: {
  criterion: { saturation: { a: number } | undefined };
  aggregation: Pick<Aggregation, 'saturation'>;
}): number | undefined {
  return options.criterion.saturation?.a ?? options.aggregation.saturation?.a;
}
