/**
 * Retry timing for judge requests: exponential backoff with jitter, and the server's Retry-After.
 * Pure functions; the randomness comes in as an argument so tests can pin it.
 */

/**
 * Delay before retry number `retry` (0 for the first retry): `initialMs * multiplier^retry`, capped
 * at `maxMs`, of which a `jitter` fraction is random. Jitter spreads out clients that failed together
 * so they do not all hit a recovering server at the same instant.
 */
export function backoffDelay(options: {
  retry: number;
  initialMs: number;
  multiplier: number;
  maxMs: number;
  jitter: number;
  /** A uniform number in [0, 1). */
  random: number;
}): number {
  const { retry, initialMs, multiplier, maxMs, jitter, random } = options;
  const base = Math.min(maxMs, initialMs * multiplier ** retry);
  return Math.round(base * (1 - jitter) + base * jitter * random);
}

/**
 * Parses a Retry-After header: delay-seconds or an HTTP date (RFC 9110 section 10.2.3). Returns
 * milliseconds from `nowMs`, or undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its day and month; Date.parse would also read a bare "-5" as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
