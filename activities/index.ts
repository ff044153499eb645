import {
  ACTIVITIES_BY_QUEUE,
  type ActivityName,
  QUEUE_OF_ROLE,
  type WorkerRole,
} from '../src/contracts/task-queues.ts';
import { assembleBatchActivity } from './assemble-batch.ts';
import { commitCheckpointActivity } from './commit-checkpoint.ts';
import { computeRewardsActivity } from './compute-rewards.ts';
import type { ActivityDeps } from './deps.ts';
import { evaluateSuiteActivity } from './evaluate-suite.ts';
import { generateRolloutsActivity } from './generate-rollouts.ts';
import { generateRubricShardActivity } from './generate-rubric-shard.ts';
import { heartbeating } from './heartbeat.ts';
import { judgeRolloutsActivity } from './judge-rollouts.ts';
import { latestCheckpointActivity } from './latest-checkpoint.ts';
import { monitorStepActivity } from './monitor-step.ts';
import { selectPromptsActivity } from './select-prompts.ts';
import { updatePolicyActivity } from './update-policy.ts';
import { writeMetricsActivity } from './write-metrics.ts';

/**
 * The training activities, bound to their dependencies: exactly the names of `ACTIVITIES_BY_QUEUE`
 * (src/contracts/task-queues.ts). Workers register the subset their task queue serves; workflows
 * import the type only.
 */
export function createActivities(deps: ActivityDeps) {
  // The bookkeeping activities heartbeat while they run (the long ones heartbeat their progress
  // themselves), so a worker lost holding one is noticed within the heartbeat timeout.
  const beating = { everyMs: deps.heartbeatEveryMs };
  return {
    generateRollouts: generateRolloutsActivity(deps),
    judgeRollouts: judgeRolloutsActivity(deps),
    monitorStep: heartbeating(monitorStepActivity(deps), beating),
    computeRewards: heartbeating(computeRewardsActivity(deps), beating),
    assembleBatch: heartbeating(assembleBatchActivity(deps), beating),
    updatePolicy: updatePolicyActivity(deps),
    commitCheckpoint: heartbeating(commitCheckpointActivity(deps), beating),
    selectPrompts: heartbeating(selectPromptsActivity(deps), beating),
    writeMetrics: heartbeating(writeMetricsActivity(deps), beating),
    latestCheckpoint: heartbeating(latestCheckpointActivity(deps), beating),
    evaluateSuite: evaluateSuiteActivity(deps),
    generateRubricShard: generateRubricShardActivity(deps),
  } satisfies Record<ActivityName, unknown>;
}

export type TrainingActivities = ReturnType<typeof createActivities>;

/** The activities of some roles (the queues they poll: src/contracts/task-queues.ts), picked from a full set. */
export function activitiesFor(
  activities: TrainingActivities,
  roles: readonly WorkerRole[],
): Partial<TrainingActivities> {
  const out: Record<string, unknown> = {};
  for (const role of roles) {
    for (const name of ACTIVITIES_BY_QUEUE[QUEUE_OF_ROLE[role]]) out[name] = activities[name];
  }
  return out as Partial<TrainingActivities>;
}

export type { ActivityDeps } from './deps.ts';
export { createActivityDeps } from './deps.ts';
