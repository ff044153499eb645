import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../src/contracts/failure-types.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import type { Timing } from '../src/contracts/timing.ts';

/**
 * Timeout and retry presets of the training activities, in one place. Every ordinary activity
 * heartbeats, so a worker lost holding one (killed, partitioned) is noticed after `timing.heartbeatTimeoutSeconds`
 * (DEFAULT_TIMING: 10 s) and the activity goes to another worker; the start-to-close timeouts are
 * backstops against an attempt that heartbeats but hangs, fitted to the work:
 * - bookkeeping: rewards, commits, metrics, selection, milliseconds to seconds of work (a cold worker
 *   first loads the run's configuration), run as local activities by the worker that runs the
 *   workflow, so none costs a trip through the server's task matching. A worker lost holding one
 *   loses the workflow task, which the server hands to another worker after the workflow task
 *   timeout (10 s), and that worker runs the activity again; retries are quick and local;
 * - fast: the same activities as ordinary activities on the workflow queue, heartbeating, for the
 *   executions that scheduled them so before bookkeeping became local (workflows/activities.ts);
 * - long: rollouts and policy updates, minutes to hours, heartbeating their progress;
 * - judge: judge shards, which wait on a remote LLM server, so they back off longer between tries.
 * No schedule-to-start limit: an activity waits for a worker to come back rather than failing the run.
 */
/** Longest a bookkeeping attempt may run (a store call that never answers), then it is retried. */
export const BOOKKEEPING_BACKSTOP = '2 minutes';

export function activityPresets(options: { taskQueues: TaskQueues; timing: Timing }): {
  bookkeeping: LocalActivityOptions;
  fast: ActivityOptions;
  rollout: ActivityOptions;
  judge: ActivityOptions;
  trainer: ActivityOptions;
} {
  const { taskQueues, timing } = options;
  const heartbeatTimeout = `${timing.heartbeatTimeoutSeconds} seconds`;
  const nonRetryableErrorTypes = [...NON_RETRYABLE_TYPES];
  const bookkeepingRetry = {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes,
  };
  const bookkeeping: LocalActivityOptions = {
    startToCloseTimeout: BOOKKEEPING_BACKSTOP,
    retry: bookkeepingRetry,
  };
  const fast: ActivityOptions = {
    taskQueue: taskQueues.workflow,
    startToCloseTimeout: BOOKKEEPING_BACKSTOP,
    heartbeatTimeout,
    retry: bookkeepingRetry,
  };
  const long = (taskQueue: string): ActivityOptions => ({
    taskQueue,
    startToCloseTimeout: '6 hours',
    heartbeatTimeout,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 20,
      nonRetryableErrorTypes,
    },
  });
  const judge: ActivityOptions = {
    taskQueue: taskQueues.judge,
    startToCloseTimeout: '2 hours',
    heartbeatTimeout,
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      maximumAttempts: 30,
      nonRetryableErrorTypes,
    },
  };
  return {
    bookkeeping,
    fast,
    rollout: long(taskQueues.rollout),
    judge,
    trainer: long(taskQueues.trainer),
  };
}
