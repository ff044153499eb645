/**
 * A counting semaphore: at most `limit` holders at once, waiters served first come, first served.
 * The judge client holds one slot per HTTP request, so the limit applies to requests in flight,
 * not to criteria waiting out a backoff.
 */
export class Semaphore {
  readonly limit: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`semaphore limit must be an integer >= 1, got ${limit}`);
    this.limit = limit;
  }

  /** Slots currently held. */
  get held(): number {
    return this.#held;
  }

  /** Waits for a slot; the returned function gives it back (calling it twice is harmless). */
  async acquire(): Promise<() => void> {
    if (this.#held < this.limit) {
      this.#held++;
    } else {
      // The releaser hands its slot straight to us, so `held` does not change in between.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next === undefined) this.#held--;
      else next();
    };
  }

  /** Runs `task` holding a slot. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}
