import { randomBytes } from 'node:crypto';
import type { PreparedRun } from '../config/check.ts';
import type { TaskQueues } from '../contracts/task-queues.ts';
import { TrainRunId } from '../store/run-refs.ts';
import { ValidationError } from '../util/errors.ts';
import { checkEvaluationSuites } from './evaluation-suites.ts';

/**
 * A new training run id: `<config name>-<UTC yyyymmdd-hhmmss>-<4 hex>`. It is the training
 * workflow's id, the prefix of its step workflows' ids and of its refs in the store.
 */
export function newTrainRunId(options: { name: string; now?: Date; suffix?: string }): string {
  const iso = (options.now ?? new Date()).toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  const id = `${options.name}-${stamp}-${options.suffix ?? randomBytes(2).toString('hex')}`;
  if (!TrainRunId.safeParse(id).success) {
    throw new ValidationError(`'${id}' is not a usable training run id (letters, digits, . _ -)`);
  }
  return id;
}

/** A stage as the workflow sees it: steps numbered from 1 across the run. */
export interface PlannedStage {
  name: string;
  /** First step of the stage (1-based, inclusive) and how many steps it has. */
  firstStep: number;
  steps: number;
  /** Data selection before the stage (`once`: with the base policy), or null. */
  selection: 'once' | 'each-stage' | null;
}

/** What the training workflow needs to know about a run besides the stored configuration. */
export interface RunPlan {
  modelName: string;
  totalSteps: number;
  stages: PlannedStage[];
  checkpointEvery: number;
  evaluationEvery: number;
  /** `anchorage eval` suites each evaluation runs on its checkpoint (names; settings stay in the config). */
  evaluationSuites: string[];
  continueAsNewEvery: number;
  taskQueues: TaskQueues;
  /** Judge shards per step: at most one per prompt group. */
  judgeShards: number;
}

/** The plan of a prepared run; `judgeShards` defaults to min(4, prompts per step). */
export function planRun(options: { prepared: PreparedRun; judgeShards?: number }): RunPlan {
  const { config, stages, where } = options.prepared.loaded;
  // Settings the schema accepts that training does not honour yet fail here, before the run starts.
  if (config.lora.dropout > 0) {
    throw new ValidationError(
      `LoRA dropout is not supported by the training engine yet; expected 0, got ${config.lora.dropout}`,
      {
        location: where(['lora', 'dropout']),
      },
    );
  }
  const minPrompts = Math.min(...stages.map((s) => s.rl.promptsPerStep));
  const judgeShards = options.judgeShards ?? Math.min(4, minPrompts);
  if (!Number.isInteger(judgeShards) || judgeShards < 1) {
    throw new ValidationError(`judge shards: expected an integer >= 1, got ${judgeShards}`);
  }
  return {
    modelName: config.model.name,
    totalSteps: config.steps,
    stages: stages.map((s) => ({
      name: s.name,
      firstStep: s.startStep + 1,
      steps: s.steps,
      selection: s.dataSelection.enabled ? s.dataSelection.when : null,
    })),
    checkpointEvery: config.checkpointEvery,
    evaluationEvery: config.evaluation.every,
    evaluationSuites: checkEvaluationSuites(options.prepared.loaded),
    continueAsNewEvery: config.temporal.continueAsNewEvery,
    taskQueues: { ...config.temporal.taskQueues },
    judgeShards,
  };
}
