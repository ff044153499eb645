import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../src/train/failure-types.ts';
import type { TaskQueues, Timing } from './types.ts';

/**
 * Timeout and retry presets of the training activities, in one place:
 * - fast: short bookkeeping on the workflow queue (rewards, commits, metrics);
 * - long: rollouts and policy updates, minutes to hours, heartbeating; a worker that stops
 *   heartbeating for `heartbeatTimeoutSeconds` is presumed dead and the activity goes to another;
 * - judge: judge shards, which wait on a remote LLM server, so they back off longer between tries.
 * No schedule-to-start limit: an activity waits for a worker to come back rather than failing the run.
 */
export function activityPresets(options: { taskQueues: TaskQueues; timing: Timing }): {
  fast: ActivityOptions;
  rollout: ActivityOptions;
  judge: ActivityOptions;
  trainer: ActivityOptions;
} {
  const { taskQueues, timing } = options;
  const heartbeatTimeout = `${timing.heartbeatTimeoutSeconds} seconds`;
  const nonRetryableErrorTypes = [...NON_RETRYABLE_TYPES];
  const fast: ActivityOptions = {
    taskQueue: taskQueues.workflow,
    startToCloseTimeout: '5 minutes',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: 10,
      nonRetryableErrorTypes,
    },
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
  return { fast, rollout: long(taskQueues.rollout), judge, trainer: long(taskQueues.trainer) };
}
