import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { TrainingActivities } from '../activities/index.ts';
import type { ActivityOn, Queue, TaskQueues } from '../src/contracts/task-queues.ts';
import type { Timing } from '../src/contracts/timing.ts';
import { activityPresets } from './presets.ts';

/** The activities a queue's workers serve (`ACTIVITIES_BY_QUEUE`), typed from their implementations. */
export type QueueActivities<Q extends Queue> = Pick<TrainingActivities, ActivityOn<Q>>;

/**
 * The patch that moved bookkeeping to local activities. An execution that began before it replays
 * with the ordinary activities its history scheduled; every later one records the patch and runs
 * them locally. Workflow code may drop the old branch (`deprecatePatch`) once no such execution is
 * open.
 */
export const LOCAL_BOOKKEEPING_PATCH = 'bookkeeping-as-local-activities';

/**
 * Activity proxies of the training workflows, one per task queue, each typed with that queue's
 * activities only: calling an activity through another queue's proxy does not compile. `fast` runs
 * the workflow queue's bookkeeping activities as local activities, in the worker that runs the
 * workflow: each saves a trip through the server's task matching and a workflow task (about 50 ms
 * a step each on the dev server; `anchorage bench orchestration`).
 */
export function trainingActivities(options: { taskQueues: TaskQueues; timing: Timing }) {
  const presets = activityPresets(options);
  const fast = patched(LOCAL_BOOKKEEPING_PATCH)
    ? proxyLocalActivities<QueueActivities<'workflow'>>(presets.bookkeeping)
    : proxyActivities<QueueActivities<'workflow'>>(presets.fast);
  return {
    rollout: proxyActivities<QueueActivities<'rollout'>>(presets.rollout),
    judge: proxyActivities<QueueActivities<'judge'>>(presets.judge),
    trainer: proxyActivities<QueueActivities<'trainer'>>(presets.trainer),
    fast,
  };
}

export type ActivityProxies = ReturnType<typeof trainingActivities>;
