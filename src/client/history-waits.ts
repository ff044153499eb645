import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { queryProgress } from './run-client.ts';
import type { RunProgress } from '../contracts/workflow-types.ts';

/**
 * Waits on a workflow's history, long-polled from the server (`waitNewEvent`): the call returns when
 * the history has new events, so a wait here ends on an event, never on a sleep or a deadline. A
 * workflow's state changes only when one of its workflow tasks completes, so "ask again after each
 * completed workflow task" sees every state it passes through.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * The events of a workflow's history as they arrive, page by page, from its current execution (or
 * `runId`) on, following continue-as-new into the next execution; ends when the workflow closes.
 */
async function* historyPages(options: {
  client: Client;
  workflowId: string;
  runId?: string;
}): AsyncGenerator<HistoryEvent[]> {
  const { client, workflowId } = options;
  let runId = options.runId;
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, ...(runId === undefined ? {} : { runId }) },
      waitNewEvent: true,
      ...(nextPageToken === undefined ? {} : { nextPageToken }),
    });
    const events = page.history?.events ?? [];
    yield events;
    const next = events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes != null)
      ?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (next) {
      runId = next;
      nextPageToken = undefined;
      continue;
    }
    // No token: the execution is closed (a long poll that times out returns a token and no events).
    if (page.nextPageToken == null || page.nextPageToken.length === 0) return;
    nextPageToken = page.nextPageToken;
  }
}

/**
 * Waits until a workflow's history holds an event that `match` accepts and, after it, a completed
 * workflow task: the workflow code has seen the event. Returns the matching event.
 */
export async function historyEvent(options: {
  client: Client;
  workflowId: string;
  match: (event: HistoryEvent) => boolean;
}): Promise<HistoryEvent> {
  let found: HistoryEvent | undefined;
  for await (const events of historyPages(options)) {
    for (const event of events) {
      if (found === undefined && options.match(event)) found = event;
      else if (found !== undefined && event.workflowTaskCompletedEventAttributes != null) return found;
    }
  }
  throw new Error(`the history of ${options.workflowId} ended without the event awaited`);
}

/**
 * Waits until `state` (a query, a describe) returns a value other than undefined, and returns it:
 * `state` is asked once the history so far has arrived, then again each time a workflow task of
 * `workflowId` completes (following continue-as-new), and a last time when the workflow closes; if
 * it still has no value then, the wait fails, naming `what` and the last answer (`show`).
 */
export async function workflowState<T>(options: {
  client: Client;
  workflowId: string;
  what: string;
  state: () => Promise<T | undefined>;
  show?: () => string;
}): Promise<T> {
  for await (const events of historyPages(options)) {
    if (!events.some((e) => e.workflowTaskCompletedEventAttributes != null)) continue;
    const value = await options.state();
    if (value !== undefined) return value;
  }
  const value = await options.state();
  if (value !== undefined) return value;
  throw new Error(
    `${options.workflowId} closed before ${options.what}${options.show === undefined ? '' : `: ${options.show()}`}`,
  );
}

/**
 * Waits until a training run's progress (its `progress` query) satisfies `until`, asked after each
 * of the run workflow's completed workflow tasks; returns that progress. Fails, with the last
 * progress, if the run ends first.
 */
export async function runProgress(options: {
  client: Client;
  trainRunId: string;
  what: string;
  until: (progress: RunProgress) => boolean;
}): Promise<RunProgress> {
  const { client, trainRunId } = options;
  let last: RunProgress | undefined;
  return workflowState({
    client,
    workflowId: trainRunId,
    what: options.what,
    state: async () => {
      last = await queryProgress(client, trainRunId);
      return options.until(last) ? last : undefined;
    },
    show: () => `last progress ${JSON.stringify(last)}`,
  });
}
