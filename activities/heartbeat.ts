import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';

/**
 * Heartbeats every `everyMs` with the details `details()` returns, until stopped. Long activities
 * run their work off the event loop (ONNX sessions in a worker thread), so the timer keeps firing
 * while they wait; the SDK throttles what it actually sends. `now()` sends at once (after progress
 * worth keeping).
 */
export function keepHeartbeating(options: { details?: () => unknown; everyMs?: number } = {}): {
  now(): void;
  stop(): void;
} {
  const ctx = Context.current();
  const send = () => ctx.heartbeat(options.details?.());
  send();
  const timer = setInterval(send, options.everyMs ?? 2_000);
  return {
    now: send,
    stop: () => clearInterval(timer),
  };
}

/** Throws the SDK's cancellation when the activity was cancelled (worker shutdown, run cancelled). */
export function throwIfCancelled(): void {
  const signal = Context.current().cancellationSignal;
  if (signal.aborted) {
    throw new CancelledFailure(`activity cancelled: ${String(signal.reason ?? 'no reason given')}`);
  }
}

/** The heartbeat details an earlier attempt of this activity recorded, or undefined. */
export function previousHeartbeat(): unknown {
  return Context.current().info.heartbeatDetails;
}
