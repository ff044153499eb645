import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleHandle,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { TRAIN_RUN_ID } from '../contracts/search-attributes.ts';
import { ValidationError } from '../util/errors.ts';
import { runWorkflowIds } from '../contracts/workflow-ids.ts';
import {
  SCHEDULED_EVALUATION_WORKFLOW,
  type ScheduledEvaluationInput,
  type ScheduledEvaluationWorkflow,
} from '../contracts/workflow-types.ts';
import type { Timing } from '../contracts/timing.ts';
import { runHandle } from './run-client.ts';

export interface EvalSchedule {
  scheduleId: string;
  taskQueue: string;
  /** False when the schedule existed and was updated to the new interval. */
  created: boolean;
  handle: ScheduleHandle;
}

/**
 * Creates the Temporal Schedule `<trainRunId>/eval-schedule` that starts `scheduledEvaluationWorkflow`
 * every `everyMs` (overlap policy SKIP: a tick still evaluating makes the next one skip), on the task
 * queue the training workflow runs on (read from the server unless given). An existing schedule of
 * the run takes the new interval and action instead.
 */
export async function createEvalSchedule(options: {
  client: Client;
  trainRunId: string;
  everyMs: number;
  taskQueue?: string;
  timing?: Timing;
}): Promise<EvalSchedule> {
  const { client, trainRunId, everyMs } = options;
  const scheduleId = runWorkflowIds.evaluationSchedule(trainRunId);
  const taskQueue = options.taskQueue ?? (await runTaskQueue(client, trainRunId));
  const input: ScheduledEvaluationInput = {
    trainRunId,
    ...(options.timing === undefined ? {} : { timing: options.timing }),
  };
  const spec = { intervals: [{ every: everyMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: SCHEDULED_EVALUATION_WORKFLOW,
    workflowId: scheduleId,
    taskQueue,
    args: [input] as [ScheduledEvaluationInput],
    typedSearchAttributes: [{ key: TRAIN_RUN_ID, value: trainRunId }],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    const handle = await client.schedule.create<ScheduledEvaluationWorkflow>({
      scheduleId,
      spec,
      action,
      policies,
    });
    return { scheduleId, taskQueue, created: true, handle };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  await handle.update<ScheduledEvaluationWorkflow>((previous) => ({
    ...previous,
    spec,
    action,
    policies: { ...previous.policies, ...policies },
  }));
  return { scheduleId, taskQueue, created: false, handle };
}

/** Takes one action of the run's evaluation schedule now (skipped, like a tick, while one is running). */
export async function triggerEvalSchedule(options: { client: Client; trainRunId: string }): Promise<void> {
  const scheduleId = runWorkflowIds.evaluationSchedule(options.trainRunId);
  await notFoundSaysSo(scheduleId, () =>
    options.client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.SKIP),
  );
}

/** Removes the run's evaluation schedule (evaluations already started finish). */
export async function deleteEvalSchedule(options: { client: Client; trainRunId: string }): Promise<void> {
  const scheduleId = runWorkflowIds.evaluationSchedule(options.trainRunId);
  await notFoundSaysSo(scheduleId, () => options.client.schedule.getHandle(scheduleId).delete());
}

async function notFoundSaysSo(scheduleId: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    throw new ValidationError(
      `no schedule '${scheduleId}' on the server; create it with \`anchorage eval-schedule <run> --every <duration>\``,
      { cause: err },
    );
  }
}

/** The task queue of the run's workflow (its orchestrator queue), as the server knows it. */
async function runTaskQueue(client: Client, trainRunId: string): Promise<string> {
  try {
    return (await runHandle(client, trainRunId).describe()).taskQueue;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    throw new ValidationError(
      `no training run '${trainRunId}' on the server (its workflow is needed for the task queue)`,
      { cause: err },
    );
  }
}
