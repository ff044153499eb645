import { UnknownNameError } from '../../util/errors.ts';
import type { Interaction } from '../schema.ts';

/**
 * Pairwise interaction functions g(x_i, x_j), by the name a rubric writes in
 * `aggregation.interactions[].fn`. Both are non-decreasing in each argument and map [0, 1]^2 into
 * [0, 1], so a positive coefficient never makes a better score worse:
 * - `min`: the pair counts as much as its weaker member (synergy needs both);
 * - `product`: smoother, rewards both being high more than either being high.
 * The record type ties the names to the schema's enum, so a new name fails to compile until added.
 */
export type InteractionFn = (x: number, y: number) => number;

export const INTERACTION_FUNCTIONS: { readonly [K in Interaction['fn']]: InteractionFn } = Object.freeze({
  min: (x: number, y: number) => Math.min(x, y),
  product: (x: number, y: number) => x * y,
});

export function interactionFunction(name: string): InteractionFn {
  if (!Object.hasOwn(INTERACTION_FUNCTIONS, name)) {
    throw new UnknownNameError('interaction function', name, Object.keys(INTERACTION_FUNCTIONS));
  }
  return INTERACTION_FUNCTIONS[name as Interaction['fn']];
}

/** One interaction's addition to the reward: b_ij g(t_i, t_j), on transformed scores. */
export function interactionTerm(options: { fn: InteractionFn; coefficient: number; x: number; y: number }): {
  g: number;
  value: number;
} {
  const g = options.fn(options.x, options.y);
  return { g, value: options.coefficient * g };
}
