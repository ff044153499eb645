import { AnchorageError } from '../util/errors.ts';

/**
 * A failure inside the policy engine (a session that cannot load or run, a worker that exited).
 * `retryable` tells a Temporal activity whether another attempt can succeed: a crashed worker thread
 * may not crash again, a model that does not load will not load next time either.
 */
export class EngineError extends AnchorageError {}
