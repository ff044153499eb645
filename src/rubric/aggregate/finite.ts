import { AnchorageError } from '../../util/errors.ts';

/**
 * A number inside the reward chain that is NaN or infinite. Inputs are validated before the chain
 * runs, so this means either an overflow (weights near the float limit) or a bug; either way the
 * reward must not travel on as NaN, so the step that produced it is named.
 */
export class NonFiniteRewardError extends AnchorageError {}

/** Returns `value` when it is finite; otherwise throws naming the step and the rubric. */
export function assertFinite(value: number, options: { step: string; rubricId: string }): number {
  if (!Number.isFinite(value)) {
    throw new NonFiniteRewardError(
      `reward chain of rubric '${options.rubricId}': ${options.step} is ${value}, a finite number was expected`,
    );
  }
  return value;
}
