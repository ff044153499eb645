/**
 * Spacing of a judge's requests under `maxRequestsPerSecond`: each request takes the next free
 * moment, at least 1/rate seconds after the one before, so no window of length T holds more than
 * 1 + rate × T requests (no bursts after an idle spell). Pure: the client keeps `nextFreeMs`.
 */
export function paceRequest(options: { nowMs: number; nextFreeMs: number; requestsPerSecond: number }): {
  /** How long this request waits before it is sent. */
  waitMs: number;
  /** The earliest moment the next request may go. */
  nextFreeMs: number;
} {
  const { nowMs, nextFreeMs, requestsPerSecond } = options;
  const at = Math.max(nowMs, nextFreeMs);
  return { waitMs: at - nowMs, nextFreeMs: at + 1000 / requestsPerSecond };
}
