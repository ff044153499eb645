import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { z } from 'zod';

/**
 * One activity a workflow history shows, whether it ran as an ordinary activity (scheduled on a task
 * queue, its attempts started by workers) or as a local activity (run inside a workflow task and
 * recorded as a marker). Tests, the chaos benchmark and the orchestration benchmark read activities
 * through this one reader, so none of them depends on which kind ran.
 */
export interface HistoryActivity {
  name: string;
  local: boolean;
  outcome: 'completed' | 'failed' | 'timed-out' | 'canceled' | 'open';
  /** The attempt that ended it (or, while open, the attempt started last; 0 before any started). */
  attempt: number;
  /** The worker that ran that attempt; for a local activity, the worker of its workflow task. */
  worker: string | null;
  /** When the ending attempt started; null for a local activity (its marker does not say). */
  startedMs: number | null;
  /** When it ended; null while open. */
  closedMs: number | null;
  /** The completed activity's result, decoded; undefined otherwise. */
  result: unknown;
}

/** The marker the SDK records for a local activity. */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** What a local activity's marker records about it (its `data` payload). */
const LocalActivityMarkerData = z.object({
  activity_type: z.string(),
  attempt: z.number().int(),
  complete_time: z.object({ seconds: z.number(), nanos: z.number() }).nullable().optional(),
});

type HistoryEvent = NonNullable<History['events']>[number];
type Payloads = { payloads?: unknown[] | null } | null | undefined;

/** An event's time in ms since the epoch (its seconds arrive as a Long, a number or a string). */
export function eventMs(e: Pick<HistoryEvent, 'eventTime'>): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
}

function decode(payloads: Payloads): unknown {
  const first = payloads?.payloads?.[0];
  return first === undefined
    ? undefined
    : defaultPayloadConverter.fromPayload(first as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
}

const CLOSED = {
  activityTaskCompletedEventAttributes: 'completed',
  activityTaskFailedEventAttributes: 'failed',
  activityTaskTimedOutEventAttributes: 'timed-out',
  activityTaskCanceledEventAttributes: 'canceled',
} as const;

/** The activities of one workflow history, in the order they were scheduled (or recorded). */
export function historyActivities(history: History): HistoryActivity[] {
  const out: HistoryActivity[] = [];
  const byScheduledId = new Map<string, HistoryActivity>();
  const workflowTaskWorker = new Map<string, string | null>();
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    const completedTask = e.workflowTaskCompletedEventAttributes;
    if (completedTask != null) workflowTaskWorker.set(id, completedTask.identity ?? null);

    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled != null) {
      const activity: HistoryActivity = {
        name: scheduled.activityType?.name ?? '?',
        local: false,
        outcome: 'open',
        attempt: 0,
        worker: null,
        startedMs: null,
        closedMs: null,
        result: undefined,
      };
      byScheduledId.set(id, activity);
      out.push(activity);
      continue;
    }
    const attemptStarted = e.activityTaskStartedEventAttributes;
    if (attemptStarted != null) {
      const activity = byScheduledId.get(String(attemptStarted.scheduledEventId));
      if (activity !== undefined) {
        activity.attempt = attemptStarted.attempt ?? 1;
        activity.worker = attemptStarted.identity ?? null;
        activity.startedMs = eventMs(e);
      }
      continue;
    }
    for (const [key, outcome] of Object.entries(CLOSED) as [
      keyof typeof CLOSED,
      HistoryActivity['outcome'],
    ][]) {
      const closed = e[key];
      if (closed == null) continue;
      const activity = byScheduledId.get(String(closed.scheduledEventId));
      if (activity === undefined) continue;
      activity.outcome = outcome;
      activity.closedMs = eventMs(e);
      if (key === 'activityTaskCompletedEventAttributes') {
        activity.result = decode(e.activityTaskCompletedEventAttributes?.result);
      }
    }

    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) continue;
    const data = LocalActivityMarkerData.parse(decode(marker.details?.data as Payloads));
    const failed = marker.failure != null;
    out.push({
      name: data.activity_type,
      local: true,
      outcome: failed ? 'failed' : 'completed',
      attempt: data.attempt,
      worker: workflowTaskWorker.get(String(marker.workflowTaskCompletedEventId)) ?? null,
      startedMs: null,
      closedMs:
        data.complete_time == null
          ? eventMs(e)
          : data.complete_time.seconds * 1000 + data.complete_time.nanos / 1e6,
      result: failed ? undefined : decode(marker.details?.result as Payloads),
    });
  }
  return out;
}
