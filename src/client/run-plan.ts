import { randomBytes } from 'node:crypto';
import type { PreparedRun } from '../config/check.ts';
import type { AdvanceWhenSettings } from '../config/stage-advance.ts';
import { checkStageThresholds } from '../config/stage-thresholds.ts';
import type { AdvanceWhen } from '../contracts/stage-advance.ts';
import type { TrainingRunInput } from '../contracts/workflow-types.ts';
import { TrainRunId } from '../store/run-refs.ts';
import { ValidationError } from '../util/errors.ts';
import { checkEvaluationSuites, evaluationSuitesAt } from '../eval/run-suites.ts';

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

/**
 * What the training workflow needs to know about a run besides the stored configuration: its input
 * (src/contracts/workflow-types.ts) but the ids, the timing and the carried state. Judge shards: at
 * most one per prompt group.
 */
export type RunPlan = Pick<
  TrainingRunInput,
  | 'modelName'
  | 'totalSteps'
  | 'stages'
  | 'checkpointEvery'
  | 'evaluationEvery'
  | 'continueAsNewEvery'
  | 'taskQueues'
  | 'judgeShards'
  | 'judgeBudget'
  | 'adaptiveDefence'
  | 'evaluationSuitesAt'
> &
  Required<Pick<TrainingRunInput, 'evaluationSuites'>>;

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
  checkStageThresholds(options.prepared);
  const minPrompts = Math.min(...stages.map((s) => s.rl.promptsPerStep));
  const judgeShards = options.judgeShards ?? Math.min(4, minPrompts);
  if (!Number.isInteger(judgeShards) || judgeShards < 1) {
    throw new ValidationError(`judge shards: expected an integer >= 1, got ${judgeShards}`);
  }
  const suitesAt = evaluationSuitesAt(options.prepared.loaded);
  return {
    modelName: config.model.name,
    totalSteps: config.steps,
    stages: stages.map((s) => ({
      name: s.name,
      firstStep: s.firstStep,
      steps: s.steps,
      selection: s.dataSelection.enabled ? s.dataSelection.when : null,
      ...(s.advanceWhen === undefined ? {} : { advanceWhen: advanceWhenOf(s.advanceWhen) }),
    })),
    checkpointEvery: config.checkpointEvery,
    evaluationEvery: config.evaluation.every,
    evaluationSuites: checkEvaluationSuites(options.prepared.loaded),
    ...(suitesAt === undefined ? {} : { evaluationSuitesAt: suitesAt }),
    continueAsNewEvery: config.temporal.continueAsNewEvery,
    taskQueues: { ...config.temporal.taskQueues },
    judgeShards,
    ...(config.judge?.runBudget === undefined ? {} : { judgeBudget: config.judge.runBudget }),
    ...(config.defence.adaptive.enabled ? { adaptiveDefence: true as const } : {}),
  };
}

/** A stage's threshold as the workflow takes it (unset bounds left out). */
function advanceWhenOf(settings: AdvanceWhenSettings): AdvanceWhen {
  return {
    metric: settings.metric,
    minSteps: settings.minSteps,
    ...(settings.atLeast === undefined ? {} : { atLeast: settings.atLeast }),
    ...(settings.atMost === undefined ? {} : { atMost: settings.atMost }),
  };
}
