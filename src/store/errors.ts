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

/** A create-only ref write that found the ref holding another address. */
export function createOnlyConflict(options: { ref: string; current: string | undefined; attempted: string }) {
  const { ref, current, attempted } = options;
  return new RefConflictError({
    ref,
    current,
    attempted,
    message: `ref ${ref} already holds ${current}; refusing to replace it with ${attempted} (create-only)`,
  });
}

/** A compare-and-set ref write that found the ref holding something else than `expected`. */
export function compareAndSetConflict(options: {
  ref: string;
  current: string | undefined;
  expected: string | undefined;
  attempted: string;
}) {
  const { ref, current, expected, attempted } = options;
  return new RefConflictError({
    ref,
    current,
    attempted,
    message:
      `ref ${ref} holds ${current ?? 'nothing'}, expected ${expected ?? 'nothing'}; ` +
      `not moved to ${attempted} (another writer changed it)`,
  });
}

/**
 * A store that cannot keep its promises on this server: an S3-compatible server that ignores
 * conditional writes would let a create-only ref be overwritten silently. Not retryable.
 */
export class StoreCapabilityError extends AnchorageError {}
