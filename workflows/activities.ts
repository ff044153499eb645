import { proxyActivities } from '@temporalio/workflow';
import type { TrainingActivities } from '../activities/index.ts';
import type { ActivityOn, Queue, TaskQueues } from '../src/contracts/task-queues.ts';
import type { Timing } from '../src/contracts/workflow-types.ts';
import { activityPresets } from './presets.ts';

/** The activities a queue's workers serve (`ACTIVITIES_BY_QUEUE`), typed from their implementations. */
export type QueueActivities<Q extends Queue> = Pick<TrainingActivities, ActivityOn<Q>>;

/**
 * Activity proxies of the training workflows, one per task queue, each typed with that queue's
 * activities only: calling an activity through another queue's proxy does not compile. `fast` is the
 * workflow queue's (bookkeeping) proxy.
 */
export function trainingActivities(options: { taskQueues: TaskQueues; timing: Timing }) {
  const presets = activityPresets(options);
  return {
    rollout: proxyActivities<QueueActivities<'rollout'>>(presets.rollout),
    judge: proxyActivities<QueueActivities<'judge'>>(presets.judge),
    trainer: proxyActivities<QueueActivities<'trainer'>>(presets.trainer),
    fast: proxyActivities<QueueActivities<'workflow'>>(presets.fast),
  };
}

export type ActivityProxies = ReturnType<typeof trainingActivities>;
