import { AnchorageError } from '../util/errors.ts';

/**
 * Errors of the policy engine. `retryable` tells a Temporal activity whether another attempt can
 * succeed: a crashed worker thread may not crash again, a NaN loss will.
 */
export class EngineError extends AnchorageError {}

/**
 * A train step whose loss or gradients are not finite. The step is refused before anything changes,
 * so weights and optimizer state are exactly as before; retrying the same batch gives the same NaN,
 * hence never retryable.
 */
export class NonFiniteError extends AnchorageError {
  constructor(message: string) {
    super(message, { retryable: false });
  }
}
