import type { BatchVariance } from '../src/contracts/dynamic-sampling.ts';
import type { JudgeAllowance, JudgeUsage } from '../src/contracts/judge-budget.ts';
import type { RlOverrides } from '../src/contracts/rl-overrides.ts';
import type { Purpose, StepRef } from '../src/contracts/step-refs.ts';
import type { CheckpointInfo } from '../src/contracts/steps.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import type { JudgeStats } from '../src/train/judgements.ts';
import type {
  DynamicSamplingMetrics,
  MetricsFailure,
  SuiteSummary,
  UpdateSummary,
} from '../src/train/metrics.ts';
import type { RewardSummary } from '../src/train/rewards.ts';
import type { RolloutStats } from '../src/train/rollouts.ts';

/**
 * What crosses the boundary between the training workflows and their activities: store addresses,
 * counters and small summaries, never rollouts, verdicts or tensors (a Temporal payload warns at
 * 256 KB). Plain types, imported by workflow code with `import type`.
 */

export interface GenerateRolloutsInput extends StepRef {
  /** Checkpoint to sample from; null: fresh adapters from the run seed (the base model). */
  checkpoint: string | null;
}
export interface GenerateRolloutsOutput {
  rollouts: string;
  stage: string;
  groups: number;
  stats: RolloutStats;
  /** True when an earlier attempt had already committed the batch. */
  reused: boolean;
}

export interface JudgeRolloutsInput extends StepRef {
  rollouts: string;
  shard: number;
  shards: number;
  /**
   * This shard's share of what the run's judge budget has left (src/contracts/judge-budget.ts);
   * absent: the run has no budget. With it, a shard that runs out commits nothing and answers
   * `JudgeShardBudgetSpent`; what it paid for stays in the verdict cache for the next try.
   */
  allowance?: JudgeAllowance;
}
export interface JudgeRolloutsOutput {
  judgement: string;
  stats: JudgeStats;
  reused: boolean;
  /** Judge requests and tokens this activity spent, over all its attempts (absent in older results). */
  usage?: JudgeUsage;
}
/** A shard whose allowance ran out before every criterion was graded: nothing committed, nothing scored. */
export interface JudgeShardBudgetSpent {
  budgetSpent: true;
  usage: JudgeUsage;
  /** Groups of the shard judged in full before it stopped, of all its groups. */
  groupsDone: number;
  groups: number;
}

export interface ComputeRewardsInput extends StepRef {
  rollouts: string;
  /** Shard judgements in shard order. */
  judgements: string[];
}
export interface ComputeRewardsOutput {
  rewards: string;
  summary: RewardSummary;
  reused: boolean;
  /** A training batch's groups with variance, when its stage has `rl.dynamicSampling` (else absent). */
  variance?: BatchVariance;
}

/** The batch a step with refill rounds trains on: its rounds' batches and rewards, round 0 first. */
export interface AssembleBatchInput extends StepRef {
  rounds: Array<{ rollouts: string; rewards: string }>;
}
export interface AssembleBatchOutput {
  /** The assembled rollout batch and its rewards (committed under the step's `trained/` refs). */
  rollouts: string;
  rewards: string;
  summary: RewardSummary;
  /** Groups in the assembled batch (those with variance, at most `rl.promptsPerStep`). */
  groups: number;
  reused: boolean;
}

export interface UpdatePolicyInput {
  trainRunId: string;
  configAddress: string;
  step: number;
  /** The checkpoint the step sampled from (null: fresh adapters). */
  parent: string | null;
  rollouts: string;
  rewards: string;
  overrides: RlOverrides;
  /** The stages as begun (StepRef `stageStarts`); absent: the planned stages. */
  stageStarts?: number[];
}
export interface UpdatePolicyOutput {
  checkpoint: string;
  /** False when checkpoint `step` was already committed (by an earlier attempt) and is returned as is. */
  created: boolean;
  summary: UpdateSummary;
}

export interface CommitCheckpointInput {
  trainRunId: string;
  step: number;
  checkpoint: string;
  parent: string | null;
  /** Keep this checkpoint for good (every checkpointEvery steps and the last). */
  milestone: boolean;
  /** Facts for the run manifest (model, stage, mean reward). */
  meta: Record<string, string | number | boolean | null>;
}
export interface CommitCheckpointOutput {
  latest: string;
  milestone: boolean;
  manifest: string;
}

export interface SelectPromptsInput {
  trainRunId: string;
  configAddress: string;
  /** First step of the stage the selection is for. */
  step: number;
  /** Rewards of the selection's rollouts (purpose `select`). */
  rewards: string;
  /** The stages as begun (StepRef `stageStarts`); absent: the planned stages. */
  stageStarts?: number[];
}
export interface SelectPromptsOutput {
  selection: string;
  scored: number;
  kept: number;
  /** Why the stage keeps all its prompts, when too few fell in the band. */
  fallback: string | null;
  reused: boolean;
}

export interface WriteMetricsInput {
  trainRunId: string;
  step: number;
  purpose: Purpose;
  stage: string;
  /** ISO time, as the workflow saw it. */
  at: string;
  rollouts: RolloutStats;
  judge: JudgeStats[];
  rewards: RewardSummary;
  update?: UpdateSummary;
  wallMs?: number;
  /** Evaluation suites' summaries (purpose `eval`): metrics `eval/<suite>/<key>`. */
  suites?: SuiteSummary[];
  /** What could not be measured (a failed suite): its metrics are left out, never 0. */
  failures?: MetricsFailure[];
  /** A training step with dynamic sampling: what it did, its refill rounds' rollouts and the trained batch's rewards. */
  dynamicSampling?: DynamicSamplingMetrics;
  /** The adaptive-defence monitor's `monitor/*` and `defence/*` metrics (training steps with it on). */
  monitor?: Record<string, number>;
}
export interface WriteMetricsOutput {
  /** The step's metrics record (the first one committed, on a retry). */
  record: string;
  metrics: Record<string, number>;
}

/** One evaluation suite (`evaluation.suites`) on the checkpoint of an evaluation. */
export interface EvaluateSuiteInput extends StepRef {
  /** Checkpoint to evaluate; null: fresh adapters from the run seed (the base policy). */
  checkpoint: string | null;
  /** The suite's name; its settings (limit, maxNewTokens, prompts) come from the stored configuration. */
  suite: string;
}
export interface EvaluateSuiteOutput {
  suite: string;
  /** Address of the committed result record (SuiteResultRecord). */
  record: string;
  /** The suite's summary numbers (finite ones), e.g. promptLoose. */
  summary: Record<string, number>;
  /** Answers generated (or chunks scored) by the attempt that finished, and those resumed. */
  computed: number;
  resumed: number;
  /** True when an earlier attempt had already committed the result. */
  reused: boolean;
}

export interface LatestCheckpointInput {
  trainRunId: string;
}
/** What a scheduled evaluation needs to know about a run, all read from the store. */
export interface LatestCheckpointOutput {
  /** The newest committed checkpoint (`checkpoints/step-<n>`), or null before the first step commits. */
  checkpoint: CheckpointInfo | null;
  /** An evaluation record for that step is already in the store (the run's own or an earlier one). */
  evaluated: boolean;
  /** Address of the run's stored configuration. */
  configAddress: string;
  /** Judge shards and task queues of the run's plan (the configuration's defaults). */
  judgeShards: number;
  taskQueues: TaskQueues;
  /** Evaluation suites the configuration names (`evaluation.suites`). */
  suites: string[];
}
