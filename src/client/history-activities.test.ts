import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { historyActivities, LOCAL_ACTIVITY_MARKER } from './history-activities.ts';

const payloads = (value: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(value)] });
const at = (seconds: number) => ({ seconds, nanos: 0 });

// The shapes a dev server returned for an ordinary activity and for a local one retried once
// (a marker whose `data` the SDK writes in snake case).
const history = {
  events: [
    { eventId: 4, eventTime: at(100), workflowTaskCompletedEventAttributes: { identity: 'orchestrator@a' } },
    {
      eventId: 5,
      eventTime: at(100),
      activityTaskScheduledEventAttributes: { activityType: { name: 'generateRollouts' } },
    },
    {
      eventId: 6,
      eventTime: at(101),
      activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 2, identity: 'rollout@b' },
    },
    {
      eventId: 7,
      eventTime: at(104),
      activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: payloads({ reused: true }) },
    },
    { eventId: 10, eventTime: at(105), workflowTaskCompletedEventAttributes: { identity: 'orchestrator@c' } },
    {
      eventId: 11,
      eventTime: at(105),
      markerRecordedEventAttributes: {
        markerName: LOCAL_ACTIVITY_MARKER,
        workflowTaskCompletedEventId: 10,
        details: {
          result: payloads({ reused: false }),
          data: payloads({
            seq: 1,
            attempt: 2,
            activity_id: '1',
            activity_type: 'computeRewards',
            complete_time: { seconds: 104, nanos: 500_000_000 },
            backoff: null,
            original_schedule_time: { seconds: 104, nanos: 0 },
          }),
        },
      },
    },
    {
      eventId: 12,
      eventTime: at(106),
      markerRecordedEventAttributes: {
        markerName: LOCAL_ACTIVITY_MARKER,
        workflowTaskCompletedEventId: 10,
        failure: { message: 'refused' },
        details: { data: payloads({ activity_type: 'commitCheckpoint', attempt: 1, complete_time: null }) },
      },
    },
    { eventId: 13, eventTime: at(106), markerRecordedEventAttributes: { markerName: 'core_patch' } },
    {
      eventId: 14,
      eventTime: at(107),
      activityTaskScheduledEventAttributes: { activityType: { name: 'updatePolicy' } },
    },
  ],
} as unknown as History;

test('ordinary and local activities read the same: name, outcome, attempt, worker, result', () => {
  assert.deepEqual(historyActivities(history), [
    {
      name: 'generateRollouts',
      local: false,
      outcome: 'completed',
      attempt: 2,
      worker: 'rollout@b',
      startedMs: 101_000,
      closedMs: 104_000,
      result: { reused: true },
    },
    {
      name: 'computeRewards',
      local: true,
      outcome: 'completed',
      attempt: 2,
      worker: 'orchestrator@c',
      startedMs: null,
      closedMs: 104_500,
      result: { reused: false },
    },
    {
      name: 'commitCheckpoint',
      local: true,
      outcome: 'failed',
      attempt: 1,
      worker: 'orchestrator@c',
      startedMs: null,
      closedMs: 106_000,
      result: undefined,
    },
    {
      name: 'updatePolicy',
      local: false,
      outcome: 'open',
      attempt: 0,
      worker: null,
      startedMs: null,
      closedMs: null,
      result: undefined,
    },
  ]);
});

test('a local activity marker without its activity type is refused, naming the field', () => {
  const bad = {
    events: [
      {
        eventId: 1,
        markerRecordedEventAttributes: {
          markerName: LOCAL_ACTIVITY_MARKER,
          details: { data: payloads({ attempt: 1 }) },
        },
      },
    ],
  } as unknown as History;
  assert.throws(() => historyActivities(bad), /activity_type/);
});
