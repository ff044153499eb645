import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { RefConflictError } from '../src/store/errors.ts';
import { AnchorageError } from '../src/util/errors.ts';

export { NON_RETRYABLE_TYPES } from '../src/contracts/failure-types.ts';

/**
 * Turns what an activity threw into what Temporal should do with it: errors of the project's
 * hierarchy keep their name as the failure type and are retryable only when they say so (a
 * transport failure); a ref conflict is retryable (the next attempt reads the winner); anything
 * else (a bug, a crashed engine thread) is retried under the activity's retry policy.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (err instanceof RefConflictError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.name,
      nonRetryable: false,
      cause: err,
    });
  }
  if (err instanceof AnchorageError) {
    const details = 'diagnostics' in err ? [(err as { diagnostics: unknown }).diagnostics] : [];
    return ApplicationFailure.create({
      message: err.message,
      type: err.name,
      nonRetryable: !err.retryable,
      details,
      cause: err,
    });
  }
  return err;
}

/** Runs an activity body, mapping its failure with `toActivityFailure`. */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
