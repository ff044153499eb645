import { type NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { failpointSinks } from '../src/temporal/failpoint-sinks.ts';
import { activitiesFor, type TrainingActivities } from '../activities/index.ts';
import {
  QUEUE_OF_ROLE,
  type Queue,
  queueOf,
  type TaskQueues,
  type WorkerRole,
} from '../src/contracts/task-queues.ts';

/** The longest the SDK may hold back an activity heartbeat. */
export const HEARTBEAT_THROTTLE_MS = 3_000;

/** Tasks run at once per queue. */
export type WorkerConcurrency = { [Q in Queue]: number };

/**
 * Temporal workers for the given roles: one per distinct task queue (roles that share a queue share
 * a worker). The orchestrator's worker runs the workflows and the light activities; the others run
 * their role's activities with their own concurrency. `shutdownGraceMs` is how long running
 * activities may finish (or heartbeat their progress) after shutdown is requested.
 */
export async function createWorkers(options: {
  roles: readonly WorkerRole[];
  connection: NativeConnection;
  namespace: string;
  taskQueues: TaskQueues;
  activities: TrainingActivities;
  workflowBundle?: WorkflowBundleOption;
  concurrency: WorkerConcurrency;
  shutdownGraceMs: number;
  identity?: string;
}): Promise<Worker[]> {
  const byQueue = new Map<string, WorkerRole[]>();
  for (const role of new Set(options.roles)) {
    const queue = queueOf(role, options.taskQueues);
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), role]);
  }
  const workers: Worker[] = [];
  for (const [taskQueue, roles] of byQueue) {
    const runsWorkflows = roles.includes('orchestrator');
    if (runsWorkflows && options.workflowBundle === undefined) {
      throw new Error('the orchestrator role needs the workflow bundle');
    }
    const activitySlots = roles.reduce((n, r) => n + options.concurrency[QUEUE_OF_ROLE[r]], 0);
    workers.push(
      await Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue,
        activities: activitiesFor(options.activities, roles),
        ...(runsWorkflows ? { workflowBundle: options.workflowBundle! } : {}),
        maxConcurrentActivityTaskExecutions: activitySlots,
        ...(runsWorkflows
          ? {
              maxConcurrentWorkflowTaskExecutions: options.concurrency.workflow,
              // Bookkeeping runs here as local activities (workflows/activities.ts).
              maxConcurrentLocalActivityExecutions: options.concurrency.workflow,
            }
          : {}),
        // Workflow code reaches failpoints through this sink (src/util/failpoints.ts; armed in tests only).
        ...(runsWorkflows ? { sinks: failpointSinks() } : {}),
        shutdownGraceTime: options.shutdownGraceMs,
        // Heartbeats reach the server at least this often (the SDK's default allows 48 s with a 60 s
        // heartbeat timeout): a retried rollout resumes from fresher progress, and `anchorage train`
        // shows decoding progress from the server.
        maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
        ...(options.identity === undefined ? {} : { identity: `${options.identity}/${roles.join('+')}` }),
      }),
    );
  }
  return workers;
}
