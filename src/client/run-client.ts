import {
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { ActivityProgress } from '../contracts/activity-progress.ts';
import type { JudgeBudgetRaise, JudgeBudgetView } from '../contracts/judge-budget.ts';
import type { PreparedRun } from '../config/check.ts';
import type { ArtifactStore } from '../store/store.ts';
import { MODEL_NAME, TRAIN_RUN_ID, TRAIN_STAGE, TRAIN_STEP } from '../contracts/search-attributes.ts';
import { newTrainRunId, planRun } from './run-plan.ts';
import { runWorkflowIds } from '../contracts/workflow-ids.ts';
import { storeRunConfig } from '../train/stored-config.ts';
import { ValidationError } from '../util/errors.ts';
import {
  pauseSignal,
  progressQuery,
  raiseJudgeBudgetUpdate,
  resumeSignal,
  stepProgressQuery,
  stopSignal,
} from '../contracts/messages.ts';
import {
  type ResumeRequest,
  type RunProgress,
  type StepProgress,
  TRAINING_WORKFLOW,
  type TrainingRunInput,
  type TrainingRunWorkflow,
} from '../contracts/workflow-types.ts';
import { DEFAULT_TIMING, type Timing } from '../contracts/timing.ts';

export interface StartedRun {
  trainRunId: string;
  input: TrainingRunInput;
  handle: WorkflowHandleWithFirstExecutionRunId<TrainingRunWorkflow>;
}

/**
 * Starts a training run: stores the configuration text (workers rebuild the run from it), plans the
 * run and starts the training workflow with the run id as its workflow id and the search
 * attributes set from the start. `prepared` must come from that same text (validated beforehand).
 */
export async function startTrainingRun(options: {
  client: Client;
  store: ArtifactStore;
  prepared: PreparedRun;
  /** The configuration file and its text as validated. */
  file: string;
  text: string;
  trainRunId?: string;
  judgeShards?: number;
  timing?: Partial<Timing>;
}): Promise<StartedRun> {
  const { client, store, prepared } = options;
  const trainRunId = options.trainRunId ?? newTrainRunId({ name: prepared.loaded.config.name });
  const configAddress = await storeRunConfig({ store, trainRunId, file: options.file, text: options.text });
  const plan = planRun({
    prepared,
    ...(options.judgeShards === undefined ? {} : { judgeShards: options.judgeShards }),
  });
  const input: TrainingRunInput = {
    trainRunId,
    configAddress,
    modelName: plan.modelName,
    totalSteps: plan.totalSteps,
    stages: plan.stages,
    checkpointEvery: plan.checkpointEvery,
    evaluationEvery: plan.evaluationEvery,
    ...(plan.evaluationSuites.length === 0 ? {} : { evaluationSuites: plan.evaluationSuites }),
    ...(plan.evaluationSuitesAt === undefined ? {} : { evaluationSuitesAt: plan.evaluationSuitesAt }),
    continueAsNewEvery: plan.continueAsNewEvery,
    judgeShards: plan.judgeShards,
    taskQueues: plan.taskQueues,
    timing: { ...DEFAULT_TIMING, ...options.timing },
    ...(plan.judgeBudget === undefined ? {} : { judgeBudget: plan.judgeBudget }),
    ...(plan.adaptiveDefence === undefined ? {} : { adaptiveDefence: plan.adaptiveDefence }),
  };
  const handle = await client.workflow.start<TrainingRunWorkflow>(TRAINING_WORKFLOW, {
    workflowId: runWorkflowIds.run(trainRunId),
    taskQueue: plan.taskQueues.workflow,
    args: [input],
    typedSearchAttributes: [
      { key: TRAIN_RUN_ID, value: trainRunId },
      { key: MODEL_NAME, value: plan.modelName },
      { key: TRAIN_STAGE, value: plan.stages[0]!.name },
      { key: TRAIN_STEP, value: 0 },
    ],
  });
  return { trainRunId, input, handle };
}

/**
 * Training runs still running whose workflows are on `taskQueue`: a worker started on that queue
 * works on them too (an interrupted `anchorage train` leaves its run on the server).
 */
export async function runningRunsOnQueue(options: { client: Client; taskQueue: string }): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = '${TRAINING_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '${options.taskQueue.replaceAll("'", '')}'`;
  for await (const w of options.client.workflow.list({ query })) ids.push(w.workflowId);
  return ids;
}

/** The latest execution of a run (continue-as-new keeps the workflow id). */
export function runHandle(client: Client, trainRunId: string): WorkflowHandle<TrainingRunWorkflow> {
  return client.workflow.getHandle<TrainingRunWorkflow>(trainRunId);
}

export function queryProgress(client: Client, trainRunId: string): Promise<RunProgress> {
  return runHandle(client, trainRunId).query(progressQuery);
}

/** The phase of step `step`, or undefined when its workflow does not exist (yet) or cannot answer. */
export async function queryStepProgress(
  client: Client,
  trainRunId: string,
  step: number,
): Promise<StepProgress | undefined> {
  try {
    return await client.workflow.getHandle(runWorkflowIds.step(trainRunId, step)).query(stepProgressQuery);
  } catch {
    return undefined;
  }
}

/**
 * The last heartbeat details of a pending activity of step `step` (`generateRollouts` or
 * `updatePolicy`), from the server's view of the step workflow; undefined when none is pending or
 * none has heartbeated yet. The worker's heartbeat throttle (HEARTBEAT_THROTTLE_MS) bounds how
 * stale they are.
 */
export async function readActivityProgress<K extends keyof ActivityProgress>(
  client: Client,
  trainRunId: string,
  step: number,
  activity: K,
): Promise<ActivityProgress[K] | undefined> {
  try {
    const { raw } = await client.workflow.getHandle(runWorkflowIds.step(trainRunId, step)).describe();
    const pending = raw.pendingActivities?.find((a) => a.activityType?.name === activity);
    const payload = pending?.heartbeatDetails?.payloads?.[0];
    if (payload === undefined) return undefined;
    const details = client.options.loadedDataConverter.payloadConverter.fromPayload(payload);
    return typeof details === 'object' && details !== null ? (details as ActivityProgress[K]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises a run's judge budget (the `raiseJudgeBudget` update): answers the budget after the raise,
 * or throws the workflow's refusal (no budget, a limit the run does not have, not a whole number).
 */
export async function raiseJudgeBudget(
  client: Client,
  trainRunId: string,
  raise: JudgeBudgetRaise,
): Promise<JudgeBudgetView> {
  try {
    return await runHandle(client, trainRunId).executeUpdate(raiseJudgeBudgetUpdate, { args: [raise] });
  } catch (err) {
    // The workflow's reason is in the cause; "Workflow Update failed" alone tells nothing.
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof Error) {
      throw new ValidationError(`${trainRunId}: judge budget not raised: ${err.cause.message}`);
    }
    throw err;
  }
}

export const signalRun = {
  pause: (client: Client, trainRunId: string) => runHandle(client, trainRunId).signal(pauseSignal),
  resume: (client: Client, trainRunId: string, request: ResumeRequest = {}) =>
    runHandle(client, trainRunId).signal(resumeSignal, request),
  stop: (client: Client, trainRunId: string) => runHandle(client, trainRunId).signal(stopSignal),
};

/**
 * The Web UI page of a run. A UI the caller knows (a server it started) wins; then
 * `TEMPORAL_UI_URL`; then, for a local server, the dev server's convention (front-end port + 1000).
 */
export function webUiUrl(options: {
  address: string;
  namespace: string;
  workflowId?: string;
  uiUrl?: string | undefined;
  env?: NodeJS.ProcessEnv;
}): string | undefined {
  const env = options.env ?? process.env;
  let base = options.uiUrl ?? (env.TEMPORAL_UI_URL === '' ? undefined : env.TEMPORAL_UI_URL);
  if (base === undefined) {
    const m = /^(localhost|127\.[\d.]+|\[::1\]):(\d+)$/.exec(options.address);
    if (m === null) return undefined;
    base = `http://${m[1]}:${Number(m[2]) + 1000}`;
  }
  const root = `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(options.namespace)}/workflows`;
  return options.workflowId === undefined ? root : `${root}/${encodeURIComponent(options.workflowId)}`;
}
