import type { SuiteAt } from './evaluation-suites.ts';
import type { DefenceView, StepDefenceReport } from './defence.ts';
import type { JudgeAllowance, JudgeBudget, JudgeBudgetView, JudgeUsage } from './judge-budget.ts';
import type { RlOverrides } from './rl-overrides.ts';
import type { RubricGenerationInput, RubricGenerationResult } from './rubric-generation.ts';
import type { AdvanceWhen, StageAdvance } from './stage-advance.ts';
import type { CheckpointInfo, StageSpan } from './steps.ts';
import type { TaskQueues } from './task-queues.ts';
import type { Timing } from './timing.ts';

/**
 * Inputs, results and progress of the training workflows. Plain data (references, counters and
 * small summaries) so histories stay small; the client, the CLI and the activities share these types.
 */

/** A stage as the training workflow sees it (steps numbered as in src/contracts/steps.ts). */
export interface StageInfo extends StageSpan {
  name: string;
  /**
   * Data selection before the stage: with the base policy (`once`), with the policy of the step
   * before (`each-stage`), or none.
   */
  selection: 'once' | 'each-stage' | null;
  /** End the stage before its `steps` once a recorded metric reaches a threshold (absent: never). */
  advanceWhen?: AdvanceWhen;
}

/**
 * What a run with thresholds on its stages (`advanceWhen`) tells its step, evaluation and selection
 * workflows: the first step of each stage begun so far (passed on to every activity, which plans
 * with the stages as they run), and the metrics to answer with (the stage's threshold's). Absent in
 * runs without thresholds, whose inputs stay as they were.
 */
export interface StageAdvanceInput {
  stageStarts?: number[];
  watch?: string[];
}

/** The recorded values of the metrics a workflow was asked to watch (absent ones left out). */
export interface WatchedMetrics {
  watched?: Record<string, number>;
}

/** The state a run carries across continue-as-new: references and counters only. */
export interface CarriedState {
  /** The next step to run (1-based). */
  nextStep: number;
  lastCheckpoint: CheckpointInfo | null;
  pauseRequested: boolean;
  overrides: RlOverrides;
  /** Headline figures of the last step, for the Web UI and queries. */
  last: StepHeadline | null;
  lastEval: { step: number; meanReward: number | null } | null;
  /** How many executions of this run came before (continue-as-new count). */
  continuedAsNew: number;
  /** First steps of the stages whose data selection is done. */
  selected: number[];
  /** The run's judge budget (raised ones included) and what judging spent; absent in older states. */
  judgeBudget?: JudgeBudget | null;
  judgeUsed?: JudgeUsage;
  /** What adaptive defence flagged and proposed so far (absent: off, or nothing reported yet). */
  defence?: DefenceView;
  /** The first step of each stage begun, when a stage ended early (`advanceWhen`); absent: as planned. */
  stageStarts?: number[];
  /** The stages that ended early on their threshold, in order (absent: none). */
  stageAdvances?: StageAdvance[];
}

export interface TrainingRunInput {
  trainRunId: string;
  configAddress: string;
  modelName: string;
  totalSteps: number;
  stages: StageInfo[];
  checkpointEvery: number;
  /** Evaluate after every N steps and after the last; 0: never. */
  evaluationEvery: number;
  /** Evaluation suites each evaluation also runs (`evaluation.suites`); absent in runs started before them. */
  evaluationSuites?: string[];
  /** The suites not run at every evaluation, with when they run (`evaluation.suites[].at`); absent: none. */
  evaluationSuitesAt?: Record<string, SuiteAt>;
  continueAsNewEvery: number;
  judgeShards: number;
  taskQueues: TaskQueues;
  timing: Timing;
  /** What the whole run may spend on the judge (`judge.runBudget`); absent: no limit. */
  judgeBudget?: JudgeBudget;
  /** Each step runs the adaptive-defence monitor (`defence.adaptive.enabled`); absent: off. */
  adaptiveDefence?: true;
  /** Present when the run continued as new. */
  state?: CarriedState;
}

/** What a judging child is given of the run's judge budget: what is left (absent: no budget). */
export interface JudgeAllowanceInput {
  judgeAllowance?: JudgeAllowance;
}

/** The figures a step reports up to the run. */
export interface StepHeadline {
  step: number;
  stage: string;
  checkpoint: string;
  meanReward: number | null;
  kl: number | null;
  loss: number | null;
  clipFraction: number | null;
  /** The update was applied (false: no learning signal in the batch). */
  applied: boolean;
}

export interface StepInput extends JudgeAllowanceInput, StageAdvanceInput {
  trainRunId: string;
  configAddress: string;
  step: number;
  stage: string;
  totalSteps: number;
  modelName: string;
  /** Checkpoint the step samples from and trains; null: fresh adapters. */
  parent: string | null;
  milestone: boolean;
  judgeShards: number;
  overrides: RlOverrides;
  taskQueues: TaskQueues;
  timing: Timing;
  /** Run the adaptive-defence monitor after the rewards (absent: off). */
  adaptiveDefence?: true;
}

/** Time of each phase as measured inside its activities (judge: the slowest shard), in ms. */
export interface PhaseTimes {
  rollouts: number;
  judge: number;
  rewards: number;
  update: number;
}

export interface StepResult extends StepHeadline, WatchedMetrics {
  /** Wall time of the step as the workflow saw it (first to last workflow task), ms. */
  wallMs: number;
  phaseMs: PhaseTimes;
  /** Step results an earlier attempt had committed and this one reused. */
  reused: { rollouts: boolean; rewards: boolean; update: boolean };
  /** Judge requests and tokens this execution of the step spent (absent in older results). */
  judgeUsage?: JudgeUsage;
  /** What the adaptive-defence monitor flagged and proposed (absent: off). */
  defence?: StepDefenceReport;
}

export interface EvaluationInput extends JudgeAllowanceInput, StageAdvanceInput {
  trainRunId: string;
  configAddress: string;
  step: number;
  checkpoint: string | null;
  judgeShards: number;
  taskQueues: TaskQueues;
  timing: Timing;
  /** Evaluation suites to run on the checkpoint after the held-out prompts (absent: none). */
  suites?: string[];
}

export interface SelectionInput extends JudgeAllowanceInput, Pick<StageAdvanceInput, 'stageStarts'> {
  trainRunId: string;
  configAddress: string;
  /** First step of the stage. */
  step: number;
  stage: string;
  checkpoint: string | null;
  judgeShards: number;
  taskQueues: TaskQueues;
  timing: Timing;
}

export interface SelectionResult {
  step: number;
  scored: number;
  kept: number;
  fallback: string | null;
  /** Judge requests and tokens this execution spent (absent in older results). */
  judgeUsage?: JudgeUsage;
}

export interface EvaluationResult extends WatchedMetrics {
  step: number;
  meanReward: number | null;
  responses: number;
  scored: number;
  /** Suites whose numbers are in the metrics, and those that failed (absent: no suites). */
  suites?: { done: string[]; failed: string[] };
  /** Judge requests and tokens this execution spent (absent in older results). */
  judgeUsage?: JudgeUsage;
}

export type StepPhase =
  | 'rollouts'
  | 'judging'
  | 'rewards'
  /** Dynamic sampling: a refill round's rollouts, judging and rewards (`refillRound`). */
  | 'refill'
  | 'update'
  | 'commit'
  | 'metrics'
  | 'done'
  /** Stopped before rewards: the run's judge budget ran out (the run pauses). */
  | 'judge-budget-spent';

export interface StepProgress {
  step: number;
  phase: StepPhase;
  judgeShards: number;
  judgeShardsDone: number;
  /** The refill round running or last run (dynamic sampling); absent before any. */
  refillRound?: number;
}

export type RunStatus = 'running' | 'paused' | 'failed' | 'completed' | 'stopped';

export interface StepFailure {
  step: number;
  type: string;
  message: string;
}

export interface RunProgress {
  trainRunId: string;
  status: RunStatus;
  modelName: string;
  totalSteps: number;
  /** Steps completed (the last committed checkpoint's step). */
  completedSteps: number;
  /** The step in flight, if any. */
  currentStep: number | null;
  /** What runs besides steps, if anything: an evaluation or a data selection. */
  currentTask: string | null;
  stage: string | null;
  lastCheckpoint: CheckpointInfo | null;
  last: StepHeadline | null;
  lastEval: { step: number; meanReward: number | null } | null;
  failure: StepFailure | null;
  pauseRequested: boolean;
  stopRequested: boolean;
  overrides: RlOverrides;
  continuedAsNew: number;
  /** The run's judge budget and spend, and whether the run waits for a raise (absent: older runs). */
  judge?: JudgeBudgetView;
  /** What adaptive defence flagged and proposed (absent: off, or nothing yet). */
  defence?: DefenceView;
  /** The stages as they run, when any has a threshold (`advanceWhen`); absent otherwise. */
  stages?: StageView[];
}

/** A stage of a run with thresholds: its span as it runs, its threshold, and why it ended early. */
export interface StageView {
  name: string;
  firstStep: number;
  /** Its steps as planned (its longest length) or, once it ended early, as it ran. */
  steps: number;
  advanceWhen?: AdvanceWhen;
  /** Set when its threshold ended it. */
  advanced?: StageAdvance;
}

export interface TrainingRunResult {
  trainRunId: string;
  status: 'completed' | 'stopped';
  completedSteps: number;
  lastCheckpoint: CheckpointInfo | null;
  last: StepHeadline | null;
  /** The stages as they ran, when any had a threshold (`advanceWhen`); absent otherwise. */
  stages?: StageView[];
}

/** Payload of the resume signal: continue a paused run or retry a failed step, with RL changes. */
export interface ResumeRequest {
  overrides?: RlOverrides;
}

/**
 * Input of a scheduled evaluation (`<trainRunId>/eval-schedule`): the run id only (the checkpoint,
 * configuration, judge shards and task queues are read from the store when it runs), and timing.
 */
export interface ScheduledEvaluationInput {
  trainRunId: string;
  /** Default: DEFAULT_TIMING. */
  timing?: Timing;
}

/**
 * What a scheduled evaluation did: `no-checkpoint` (nothing committed yet), `evaluated` (ran
 * `<trainRunId>/scheduled-eval-<step>`), `already-evaluated` (the step has an evaluation record),
 * `already-started` (that evaluation workflow exists already: running or completed).
 */
export interface ScheduledEvaluationResult {
  trainRunId: string;
  outcome: 'no-checkpoint' | 'evaluated' | 'already-evaluated' | 'already-started';
  step: number | null;
  /** Id of the evaluation workflow for the step; null without a checkpoint. */
  evaluationId: string | null;
  /** Mean reward of this evaluation (`evaluated` only). */
  meanReward: number | null;
}

/**
 * The workflows clients start by name: their type names (function names in the bundle entry,
 * workflows/index.ts) and signatures. `workflows/imports.test.ts` holds the implementations to them.
 */
export const TRAINING_WORKFLOW = 'trainingRunWorkflow';
export type TrainingRunWorkflow = (input: TrainingRunInput) => Promise<TrainingRunResult>;
export const SCHEDULED_EVALUATION_WORKFLOW = 'scheduledEvaluationWorkflow';
export type ScheduledEvaluationWorkflow = (
  input: ScheduledEvaluationInput,
) => Promise<ScheduledEvaluationResult>;
/** Durable rubric generation (src/contracts/rubric-generation.ts). */
export const RUBRIC_GENERATION_WORKFLOW = 'rubricGenerationWorkflow';
export type RubricGenerationWorkflow = (input: RubricGenerationInput) => Promise<RubricGenerationResult>;
