import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';

/** Histories of a run's executions (following continue-as-new) and of its step and evaluation workflows. */
export async function runHistories(options: {
  client: Client;
  trainRunId: string;
  firstRunId: string;
}): Promise<Array<{ workflowId: string; history: History }>> {
  const { client, trainRunId } = options;
  const out: Array<{ workflowId: string; history: History }> = [];
  let runId: string | undefined = options.firstRunId;
  const children = new Set<string>();
  while (runId !== undefined) {
    const history: History = await client.workflow.getHandle(trainRunId, runId).fetchHistory();
    out.push({ workflowId: trainRunId, history });
    runId = undefined;
    for (const event of history.events ?? []) {
      const started = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
      if (started) children.add(started);
      const next = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (next) runId = next;
    }
  }
  for (const workflowId of children) {
    out.push({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() });
  }
  return out;
}
