import {
  allHandlersFinished,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  MEAN_REWARD,
  MODEL_NAME,
  TRAIN_RUN_ID,
  TRAIN_STAGE,
  TRAIN_STEP,
} from '../src/contracts/search-attributes.ts';
import { NO_USAGE } from '../src/contracts/judge-budget.ts';
import { evaluationName } from '../src/contracts/steps.ts';
import { suitesDue } from '../src/contracts/evaluation-suites.ts';
import type { StageAdvance } from '../src/contracts/stage-advance.ts';
import { runWorkflowIds } from '../src/contracts/workflow-ids.ts';
import { dataSelectionWorkflow } from './data-selection.ts';
import { evaluationWorkflow } from './evaluation.ts';
import { workflowFailpoint } from './failpoint.ts';
import { pauseSignal, progressQuery, resumeSignal, stopSignal } from '../src/contracts/messages.ts';
import { addStepDefence } from '../src/contracts/defence.ts';
import { runDetails } from '../src/contracts/run-details.ts';
import { evaluationDue, isMilestone, mergeOverrides, rootFailure, stageOf } from './run-rules.ts';
import { runJudgeBudget } from './run-judge-budget.ts';
import { runStages } from './run-stages.ts';
import { trainingStepWorkflow } from './training-step.ts';
import type {
  CarriedState,
  RunProgress,
  RunStatus,
  StepFailure,
  TrainingRunInput,
  TrainingRunResult,
} from '../src/contracts/workflow-types.ts';

/**
 * A training run (workflow id = trainRunId): runs its steps in order, each as a child workflow
 * `<trainRunId>/step-<n>` that commits checkpoint n; evaluates the base policy first and then every
 * `evaluationEvery` steps (`<trainRunId>/eval-<n>`, with the evaluation suites due then: every suite,
 * or by its `at` only the last or both ends); selects each stage's prompts first when the stage has
 * data selection (`<trainRunId>/select-<n>`); and
 * continues as new every `continueAsNewEvery` steps, carrying only references and counters.
 *
 * Signals: pause (after the current step), resume (also retries a failed step, optionally with RL
 * overrides), stop (after the current step, which commits its checkpoint). The run's judge budget
 * (`judge.runBudget`, workflows/run-judge-budget.ts) is shared out to every step, evaluation and
 * selection; when it is spent the run pauses before judging more (status `paused`, progress
 * `judge.waiting`) until the `raiseJudgeBudget` update raises it. A step that fails for
 * good (bad input, non-finite loss) does not end the run: it waits, with the failure in its progress
 * and the Web UI, for `resume` (run the step again from the last committed checkpoint) or `stop`.
 * Search attributes TrainRunId, TrainStep, TrainStage, MeanReward, ModelName and the current details
 * follow the run for the Web UI.
 */
export async function trainingRunWorkflow(input: TrainingRunInput): Promise<TrainingRunResult> {
  const carried: CarriedState = input.state ?? {
    nextStep: 1,
    lastCheckpoint: null,
    pauseRequested: false,
    overrides: {},
    last: null,
    lastEval: null,
    continuedAsNew: 0,
    selected: [],
  };
  let status: RunStatus = 'running';
  let currentStep: number | null = null;
  let currentTask: string | null = null;
  let failure: StepFailure | null = null;
  let stopRequested = false;
  let retryRequested = false;
  const state = { ...carried };
  // Stages that may end on a threshold (`advanceWhen`): their spans as they run, kept in `state`.
  const stages = runStages({ planned: input.stages, state });
  const judgeBudget = runJudgeBudget({
    budget: carried.judgeBudget !== undefined ? carried.judgeBudget : (input.judgeBudget ?? null),
    used: carried.judgeUsed ?? NO_USAGE,
    changed: () => show(),
    stopRequested: () => stopRequested,
  });

  const progress = (): RunProgress => ({
    trainRunId: input.trainRunId,
    // Waiting for a raise of the judge budget is a pause too (`judge.waiting` says why).
    status: judgeBudget.view().waiting ? 'paused' : status,
    modelName: input.modelName,
    totalSteps: stages.lastStep(),
    completedSteps: state.lastCheckpoint?.step ?? 0,
    currentStep,
    currentTask,
    stage: currentStep === null ? (state.last?.stage ?? null) : stageOf(stages.spans(), currentStep).name,
    lastCheckpoint: state.lastCheckpoint,
    last: state.last,
    lastEval: state.lastEval,
    failure,
    pauseRequested: state.pauseRequested,
    stopRequested,
    overrides: state.overrides,
    continuedAsNew: state.continuedAsNew,
    judge: judgeBudget.view(),
    ...(state.defence === undefined ? {} : { defence: state.defence }),
    ...stages.view(),
  });
  const show = () => setCurrentDetails(runDetails(progress()));

  setHandler(progressQuery, progress);
  setHandler(pauseSignal, () => {
    state.pauseRequested = true;
    show();
  });
  setHandler(resumeSignal, (request) => {
    state.pauseRequested = false;
    state.overrides = mergeOverrides(state.overrides, request?.overrides);
    retryRequested = true;
    show();
  });
  setHandler(stopSignal, () => {
    stopRequested = true;
    show();
  });

  const firstStage = stageOf(stages.spans(), Math.min(state.nextStep, stages.lastStep()));
  upsertSearchAttributes([
    { key: TRAIN_RUN_ID, value: input.trainRunId },
    { key: MODEL_NAME, value: input.modelName },
    { key: TRAIN_STAGE, value: firstStage.name },
    { key: TRAIN_STEP, value: state.lastCheckpoint?.step ?? 0 },
  ]);
  show();

  /** The evaluation suites due at the evaluation of checkpoint `step`, as the child's input. */
  const dueSuites = (step: number): { suites?: string[] } => {
    const suites = suitesDue({
      suites: input.evaluationSuites ?? [],
      ...(input.evaluationSuitesAt === undefined ? {} : { at: input.evaluationSuitesAt }),
      step,
      lastStep: stages.lastStep(),
    });
    return suites.length === 0 ? {} : { suites };
  };
  /** Evaluates checkpoint `step`; answers the metrics the stage's threshold watches, when it has one. */
  const evaluate = async (step: number): Promise<Record<string, number>> => {
    let watched: Record<string, number> = {};
    currentTask = evaluationName(step);
    show();
    try {
      const evaluation = await judgeBudget.within((allowance) =>
        executeChild(evaluationWorkflow, {
          workflowId: runWorkflowIds.evaluation(input.trainRunId, step),
          taskQueue: input.taskQueues.workflow,
          args: [
            {
              trainRunId: input.trainRunId,
              configAddress: input.configAddress,
              step,
              checkpoint: state.lastCheckpoint?.address ?? null,
              judgeShards: input.judgeShards,
              taskQueues: input.taskQueues,
              timing: input.timing,
              ...stages.childInput(step, 'eval'),
              ...dueSuites(step),
              ...(allowance === undefined ? {} : { judgeAllowance: allowance }),
            },
          ],
        }),
      );
      // Undefined: stopped while the judge budget was spent; the evaluation is left out.
      if (evaluation !== undefined) {
        state.lastEval = { step, meanReward: evaluation.meanReward };
        watched = evaluation.watched ?? {};
      }
    } catch (err) {
      // Evaluation informs; it never stops training.
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      log.warn('evaluation failed; training goes on', { step, ...rootFailure(err) });
    }
    currentTask = null;
    show();
    return watched;
  };
  /** A stage ended on its threshold: the next begins after `advance.step` (or the run ends). */
  const advanceStage = (advance: StageAdvance) => {
    const next = stages.advance(advance);
    log.info('stage ended on its threshold', { ...advance, next: next?.name ?? null });
    if (next !== undefined) upsertSearchAttributes([{ key: TRAIN_STAGE, value: next.name }]);
    show();
  };
  // The base policy's score, the baseline the later evaluations compare with.
  if (input.evaluationEvery > 0 && state.nextStep === 1 && state.lastEval === null) await evaluate(0);

  let stepsThisExecution = 0;
  while (state.nextStep <= stages.lastStep() && !stopRequested) {
    if (state.pauseRequested) {
      status = 'paused';
      show();
      await condition(() => !state.pauseRequested || stopRequested);
      status = 'running';
      continue;
    }
    if (stepsThisExecution >= input.continueAsNewEvery) {
      // Signals that arrived are already applied to `state`; let their handlers finish first.
      await condition(allHandlersFinished);
      workflowFailpoint('run.continue-as-new', {
        nextStep: state.nextStep,
        continuedAsNew: state.continuedAsNew,
      });
      return continueAsNew<typeof trainingRunWorkflow>({
        ...input,
        state: { ...state, ...judgeBudget.carried(), continuedAsNew: state.continuedAsNew + 1 },
      });
    }
    const step = state.nextStep;
    const stage = stageOf(stages.spans(), step);
    currentStep = step;
    show();
    try {
      if (step === stage.firstStep && stage.selection !== null && !state.selected.includes(step)) {
        currentTask = `data selection for stage ${stage.name}`;
        show();
        const selection = await judgeBudget.within((allowance) =>
          executeChild(dataSelectionWorkflow, {
            workflowId: runWorkflowIds.selection(input.trainRunId, step),
            taskQueue: input.taskQueues.workflow,
            args: [
              {
                trainRunId: input.trainRunId,
                configAddress: input.configAddress,
                step,
                stage: stage.name,
                // `once`: every stage is selected by the base policy; `each-stage`: by the current one.
                checkpoint: stage.selection === 'once' ? null : (state.lastCheckpoint?.address ?? null),
                judgeShards: input.judgeShards,
                taskQueues: input.taskQueues,
                timing: input.timing,
                ...stages.childInput(step, 'select'),
                ...(allowance === undefined ? {} : { judgeAllowance: allowance }),
              },
            ],
          }),
        );
        currentTask = null;
        // Stopped while the judge budget was spent.
        if (selection === undefined) {
          currentStep = null;
          continue;
        }
        state.selected = [...state.selected, step];
      }
      const result = await judgeBudget.within((allowance) =>
        executeChild(trainingStepWorkflow, {
          workflowId: runWorkflowIds.step(input.trainRunId, step),
          taskQueue: input.taskQueues.workflow,
          args: [
            {
              trainRunId: input.trainRunId,
              configAddress: input.configAddress,
              step,
              stage: stage.name,
              totalSteps: stages.lastStep(),
              modelName: input.modelName,
              parent: state.lastCheckpoint?.address ?? null,
              milestone: isMilestone(
                { checkpointEvery: input.checkpointEvery, totalSteps: stages.lastStep() },
                step,
              ),
              judgeShards: input.judgeShards,
              overrides: state.overrides,
              taskQueues: input.taskQueues,
              timing: input.timing,
              ...stages.childInput(step, 'train'),
              ...(input.adaptiveDefence === true ? { adaptiveDefence: true as const } : {}),
              ...(allowance === undefined ? {} : { judgeAllowance: allowance }),
            },
          ],
        }),
      );
      // Stopped while the judge budget was spent: the step is not done; the run ends stopped.
      if (result === undefined) {
        currentStep = null;
        continue;
      }
      state.lastCheckpoint = { step, address: result.checkpoint };
      state.last = {
        step,
        stage: result.stage,
        checkpoint: result.checkpoint,
        meanReward: result.meanReward,
        kl: result.kl,
        loss: result.loss,
        clipFraction: result.clipFraction,
        applied: result.applied,
      };
      if (result.defence !== undefined) {
        state.defence = addStepDefence({ view: state.defence, step, report: result.defence });
      }
      state.nextStep = step + 1;
      stepsThisExecution++;
      currentStep = null;
      upsertSearchAttributes([
        { key: TRAIN_STEP, value: step },
        { key: TRAIN_STAGE, value: stage.name },
        ...(result.meanReward === null ? [] : [{ key: MEAN_REWARD, value: result.meanReward }]),
      ]);
      const trained = stages.check({ step, source: 'train', metrics: result.watched });
      if (trained !== undefined) advanceStage(trained);
      show();
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      currentStep = null;
      currentTask = null;
      failure = { step, ...rootFailure(err) };
      status = 'failed';
      log.warn('training step failed; waiting for resume or stop', { ...failure });
      retryRequested = false;
      show();
      await condition(() => retryRequested || stopRequested);
      failure = null;
      status = 'running';
      continue;
    }
    if (evaluationDue({ step, every: input.evaluationEvery, totalSteps: stages.lastStep() })) {
      const watched = await evaluate(step);
      const evaluated = stages.check({ step, source: 'eval', metrics: watched });
      if (evaluated !== undefined) advanceStage(evaluated);
    }
  }
  status = state.nextStep > stages.lastStep() ? 'completed' : 'stopped';
  show();
  await condition(allHandlersFinished);
  return {
    trainRunId: input.trainRunId,
    status: status === 'completed' ? 'completed' : 'stopped',
    completedSteps: state.lastCheckpoint?.step ?? 0,
    lastCheckpoint: state.lastCheckpoint,
    last: state.last,
    ...stages.view(),
  };
}
