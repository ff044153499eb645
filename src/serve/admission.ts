import { ApiError } from './api-error.ts';

/**
 * The bound on requests in the server at once: `slots` decode together in the engine's batch and
 * up to `queue` more wait for a slot; a request beyond that is answered 429 with Retry-After, so
 * a burst cannot pile up without limit.
 */
export class Admission {
  private active = 0;

  constructor(
    private readonly options: {
      slots: number;
      queue: number;
      /** Seconds a refused client is told to wait (Retry-After). */
      retryAfterSeconds: number;
    },
  ) {}

  /** Requests admitted and not yet released. */
  get inFlight(): number {
    return this.active;
  }

  /** Admits one request or throws the 429; call the returned function once when it is done. */
  enter(): () => void {
    if (this.active >= this.options.slots + this.options.queue) {
      throw new ApiError({
        status: 429,
        type: 'rate_limit_error',
        code: 'server_busy',
        message: `the server is busy: ${this.active} requests in flight (${this.options.slots} decoding, ${this.options.queue} queued at most); retry later`,
        headers: { 'retry-after': String(this.options.retryAfterSeconds) },
      });
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
    };
  }
}
