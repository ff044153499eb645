/**
 * The task queues of a deployment, which activities each one serves and which worker role polls it:
 * declared once here for the workflows (their activity proxies), the workers (what they register),
 * the configuration (the default names) and the CLI. Workflow-safe: no imports.
 */

/** The queues, by what runs on them; `workflow` runs the workflows and the light activities. */
export const QUEUES = ['workflow', 'rollout', 'judge', 'trainer'] as const;
export type Queue = (typeof QUEUES)[number];

/** A deployment's queue names (the configuration's `temporal.taskQueues`, the workers' environment). */
export type TaskQueues = { [Q in Queue]: string };

/** Queue names when neither a run configuration nor the workers' environment names them. */
export const DEFAULT_TASK_QUEUES: TaskQueues = {
  workflow: 'anchorage-workflow',
  rollout: 'anchorage-rollout',
  judge: 'anchorage-judge',
  trainer: 'anchorage-trainer',
};

/** A usable queue name: letters, digits, `.`, `_`, `-`, at most 200, starting with a letter or digit. */
export const TASK_QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * The activities each queue serves. Every activity is on exactly one queue: `activities/index.ts`
 * holds its implementation to these names, and `workflows/activities.ts` types each queue's proxy
 * with that queue's activities only.
 */
export const ACTIVITIES_BY_QUEUE = {
  workflow: [
    'computeRewards',
    'assembleBatch',
    'commitCheckpoint',
    'selectPrompts',
    'writeMetrics',
    'latestCheckpoint',
  ],
  rollout: ['generateRollouts', 'evaluateSuite'],
  judge: ['judgeRollouts', 'monitorStep', 'generateRubricShard'],
  trainer: ['updatePolicy'],
} as const satisfies { [Q in Queue]: readonly string[] };

/** The activities of queue `Q`, by name. */
export type ActivityOn<Q extends Queue> = (typeof ACTIVITIES_BY_QUEUE)[Q][number];
export type ActivityName = ActivityOn<Queue>;

/**
 * Worker roles, one per queue: a worker process (`workers/<role>.ts`) serves one role or several.
 * The orchestrator polls the workflow queue and also runs the workflows.
 */
export const QUEUE_OF_ROLE = {
  orchestrator: 'workflow',
  rollout: 'rollout',
  judge: 'judge',
  trainer: 'trainer',
} as const satisfies Record<string, Queue>;
export type WorkerRole = keyof typeof QUEUE_OF_ROLE;
export const WORKER_ROLES: readonly WorkerRole[] = ['orchestrator', 'rollout', 'judge', 'trainer'];

/** The queue name a role polls. */
export function queueOf(role: WorkerRole, taskQueues: TaskQueues): string {
  return taskQueues[QUEUE_OF_ROLE[role]];
}
