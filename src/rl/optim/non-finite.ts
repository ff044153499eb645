import { AnchorageError } from '../../util/errors.ts';

/**
 * A loss, gradient or logit that is NaN or infinite. A train step that meets one is refused before
 * anything changes, so weights and optimizer state stay exactly as they were; the same batch would
 * give the same result again, hence never retryable.
 */
export class NonFiniteError extends AnchorageError {
  /** What the refused step was given (learning rate, sequences, ...), for the failure's details. */
  declare readonly diagnostics?: Readonly<Record<string, unknown>>;

  constructor(message: string, options: { diagnostics?: Readonly<Record<string, unknown>> } = {}) {
    super(message, { retryable: false });
    if (options.diagnostics !== undefined) this.diagnostics = options.diagnostics;
  }
}
