import { proxyActivities } from '@temporalio/workflow';
import type { TrainingActivities } from '../activities/index.ts';
import { activityPresets } from './presets.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import type { Timing } from '../src/contracts/workflow-types.ts';

/** Activity proxies of the training workflows, one per preset and task queue. */
export function trainingActivities(options: { taskQueues: TaskQueues; timing: Timing }) {
  const presets = activityPresets(options);
  return {
    rollout: proxyActivities<TrainingActivities>(presets.rollout),
    judge: proxyActivities<TrainingActivities>(presets.judge),
    trainer: proxyActivities<TrainingActivities>(presets.trainer),
    fast: proxyActivities<TrainingActivities>(presets.fast),
  };
}

export type ActivityProxies = ReturnType<typeof trainingActivities>;
