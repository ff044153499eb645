import type { Client } from '@temporalio/client';

/** An activity being retried: its attempt in flight (or waiting to start) is not its first. */
export interface RetryInFlight {
  /** The workflow that scheduled it (the run, or one of its step, evaluation or selection children). */
  workflowId: string;
  activity: string;
  attempt: number;
  /** `scheduled` (waiting for a worker or its backoff), `started` (a worker holds it) or another state. */
  state: string;
  /** What ended the previous attempt (a heartbeat timeout: its worker was lost). */
  lastFailure: string | null;
  /** The worker that ran the previous attempt. */
  lastWorker: string | null;
}

/** Children deeper than this are not described (the run's children have none of their own today). */
const MAX_DEPTH = 3;

const STATES: Record<number, string> = { 1: 'scheduled', 2: 'started', 3: 'cancel requested', 4: 'paused' };

/**
 * The activities being retried under workflow `workflowId` and its running children, from the
 * server's view (`describe`: pending activities and pending children). Empty when every pending
 * activity is on its first attempt.
 */
export async function retriesInFlight(options: {
  client: Client;
  workflowId: string;
}): Promise<RetryInFlight[]> {
  const out: RetryInFlight[] = [];
  const visit = async (workflowId: string, depth: number): Promise<void> => {
    const { raw } = await options.client.workflow.getHandle(workflowId).describe();
    for (const pending of raw.pendingActivities ?? []) {
      const attempt = pending.attempt ?? 1;
      if (attempt <= 1) continue;
      const failure = pending.lastFailure;
      out.push({
        workflowId,
        activity: pending.activityType?.name ?? 'unknown activity',
        attempt,
        state: STATES[pending.state ?? 0] ?? 'unknown',
        lastFailure: failure === null || failure === undefined ? null : (failure.message ?? 'no message'),
        lastWorker: pending.lastWorkerIdentity || null,
      });
    }
    if (depth >= MAX_DEPTH) return;
    for (const child of raw.pendingChildren ?? []) {
      if (child.workflowId) await visit(child.workflowId, depth + 1).catch(() => undefined);
    }
  };
  await visit(options.workflowId, 0);
  return out;
}

/** One line for `anchorage status`. */
export function formatRetry(retry: RetryInFlight): string {
  const cause = retry.lastFailure === null ? '' : `; last failure: ${retry.lastFailure}`;
  const worker = retry.lastWorker === null ? '' : ` (on ${retry.lastWorker})`;
  return `retry in flight: ${retry.activity} of ${retry.workflowId}, attempt ${retry.attempt} ${retry.state}${cause}${worker}`;
}
