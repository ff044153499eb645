import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';

/** Heartbeat period of activities unless the worker says otherwise (`ActivityDeps.heartbeatEveryMs`). */
export const DEFAULT_HEARTBEAT_EVERY_MS = 2_000;

/**
 * How often to heartbeat: `everyMs`, but at least three times per heartbeat timeout, so one late
 * beat (the SDK's throttle, a busy event loop) does not make the server presume the worker dead.
 */
export function heartbeatPeriodMs(options: {
  everyMs: number;
  heartbeatTimeoutMs: number | undefined;
}): number {
  const { everyMs, heartbeatTimeoutMs } = options;
  return heartbeatTimeoutMs === undefined || heartbeatTimeoutMs <= 0
    ? everyMs
    : Math.max(1, Math.min(everyMs, Math.floor(heartbeatTimeoutMs / 3)));
}

/**
 * Heartbeats every `everyMs` (see `heartbeatPeriodMs`) with the details `details()` returns, until
 * stopped. Long activities run their work off the event loop (ONNX sessions in a worker thread),
 * so the timer keeps firing while they wait; the SDK throttles what it actually sends. `now()`
 * sends at once (after progress worth keeping). `sendFirst: false` waits one period before the
 * first beat, so an activity that ends sooner sends none.
 */
export function keepHeartbeating(
  options: { details?: () => unknown; everyMs?: number; sendFirst?: boolean } = {},
): {
  now(): void;
  stop(): void;
} {
  const ctx = Context.current();
  // A local activity has no heartbeat of its own: its workflow task stands for it.
  const send = () => {
    if (!ctx.info.isLocal) ctx.heartbeat(options.details?.());
  };
  if (options.sendFirst !== false) send();
  const period = heartbeatPeriodMs({
    everyMs: options.everyMs ?? DEFAULT_HEARTBEAT_EVERY_MS,
    heartbeatTimeoutMs: ctx.info.heartbeatTimeoutMs,
  });
  const timer = setInterval(send, period);
  return {
    now: send,
    stop: () => clearInterval(timer),
  };
}

/**
 * The activity `activity`, heartbeating while it runs: for short bookkeeping activities, so a
 * worker that dies holding one is noticed after the heartbeat timeout rather than the start-to-close
 * timeout. The first beat goes out after one period: one that ends sooner costs no request.
 */
export function heartbeating<I, O>(
  activity: (input: I) => Promise<O>,
  options: { everyMs: number },
): (input: I) => Promise<O> {
  return async (input: I): Promise<O> => {
    const heartbeat = keepHeartbeating({ everyMs: options.everyMs, sendFirst: false });
    try {
      return await activity(input);
    } finally {
      heartbeat.stop();
    }
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
