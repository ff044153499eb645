import { AnchorageError } from '../util/errors.ts';

/** An address or ref that the store does not hold. Not retryable: the data is not there. */
export class ArtifactNotFoundError extends AnchorageError {}

/**
 * A ref write refused because the ref holds another address than the caller allowed: a create-only
 * write found it taken, or a compare-and-set found it changed. `current` is what the ref holds.
 */
export class RefConflictError extends AnchorageError {
  readonly ref: string;
  readonly current: string | undefined;
  readonly attempted: string;

  constructor(options: { ref: string; current: string | undefined; attempted: string; message: string }) {
    super(options.message);
    this.ref = options.ref;
    this.current = options.current;
    this.attempted = options.attempted;
  }
}

/** Stored bytes whose hash does not match their address (disk corruption or tampering). */
export class CorruptArtifactError extends AnchorageError {}
