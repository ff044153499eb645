import { commitCheckpointActivity } from './commit-checkpoint.ts';
import { computeRewardsActivity } from './compute-rewards.ts';
import type { ActivityDeps } from './deps.ts';
import { evaluateSuiteActivity } from './evaluate-suite.ts';
import { generateRolloutsActivity } from './generate-rollouts.ts';
import { heartbeating } from './heartbeat.ts';
import { judgeRolloutsActivity } from './judge-rollouts.ts';
import { latestCheckpointActivity } from './latest-checkpoint.ts';
import { selectPromptsActivity } from './select-prompts.ts';
import { updatePolicyActivity } from './update-policy.ts';
import { writeMetricsActivity } from './write-metrics.ts';

/**
 * The training activities, bound to their dependencies. Workers register the subset their task
 * queue serves (see `ACTIVITIES_BY_QUEUE`); workflows import the type only.
 */
export function createActivities(deps: ActivityDeps) {
  // The bookkeeping activities heartbeat while they run (the long ones heartbeat their progress
  // themselves), so a worker lost holding one is noticed within the heartbeat timeout.
  const beating = { everyMs: deps.heartbeatEveryMs };
  return {
    generateRollouts: generateRolloutsActivity(deps),
    judgeRollouts: judgeRolloutsActivity(deps),
    computeRewards: heartbeating(computeRewardsActivity(deps), beating),
    updatePolicy: updatePolicyActivity(deps),
    commitCheckpoint: heartbeating(commitCheckpointActivity(deps), beating),
    selectPrompts: heartbeating(selectPromptsActivity(deps), beating),
    writeMetrics: heartbeating(writeMetricsActivity(deps), beating),
    latestCheckpoint: heartbeating(latestCheckpointActivity(deps), beating),
    evaluateSuite: evaluateSuiteActivity(deps),
  };
}

export type TrainingActivities = ReturnType<typeof createActivities>;
export type ActivityName = keyof TrainingActivities;

/** Which activities each worker role serves; `orchestrator` also runs the workflows. */
export const ACTIVITIES_BY_ROLE = {
  rollout: ['generateRollouts', 'evaluateSuite'],
  judge: ['judgeRollouts'],
  trainer: ['updatePolicy'],
  orchestrator: ['computeRewards', 'commitCheckpoint', 'selectPrompts', 'writeMetrics', 'latestCheckpoint'],
} as const satisfies Record<string, readonly ActivityName[]>;
export type WorkerRole = keyof typeof ACTIVITIES_BY_ROLE;

/** The activities of some roles, picked from a full set. */
export function activitiesFor(
  activities: TrainingActivities,
  roles: readonly WorkerRole[],
): Partial<TrainingActivities> {
  const out: Record<string, unknown> = {};
  for (const role of roles) for (const name of ACTIVITIES_BY_ROLE[role]) out[name] = activities[name];
  return out as Partial<TrainingActivities>;
}

export type { ActivityDeps } from './deps.ts';
export { createActivityDeps } from './deps.ts';
