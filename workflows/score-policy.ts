import type { StepRef } from '../src/contracts/step-refs.ts';
import type {
  ComputeRewardsOutput,
  GenerateRolloutsOutput,
  JudgeRolloutsOutput,
} from '../activities/types.ts';
import type { JudgeAllowance, JudgeBudgetSpent, JudgeUsage } from '../src/contracts/judge-budget.ts';
import type { ActivityProxies } from './activities.ts';
import { judgeShards, shardCount } from './judge-shards.ts';

/** A policy's batch sampled, judged and rewarded, and what judging it spent. */
export interface ScoredPolicy {
  rollouts: GenerateRolloutsOutput;
  judged: JudgeRolloutsOutput[];
  rewards: ComputeRewardsOutput;
  judgeUsage: JudgeUsage;
}

/**
 * Samples a checkpoint's policy on the prompts of `ref`, judges the rollouts over parallel shards and
 * computes their rewards: what an evaluation and a data selection share. Nothing is trained. When
 * the run's judge budget runs out first, nothing is scored and it answers `judgeBudgetSpent`.
 */
export async function scorePolicy(options: {
  acts: ActivityProxies;
  ref: StepRef;
  checkpoint: string | null;
  judgeShards: number;
  /** What is left of the run's judge budget (undefined: no budget). */
  allowance: JudgeAllowance | undefined;
  /** Names the phase for the Web UI. */
  show: (phase: 'rollouts' | 'judging') => void;
}): Promise<ScoredPolicy | JudgeBudgetSpent> {
  const { acts, ref } = options;
  options.show('rollouts');
  const rollouts = await acts.rollout.generateRollouts({ ...ref, checkpoint: options.checkpoint });
  options.show('judging');
  const shards = shardCount({ configured: options.judgeShards, groups: rollouts.groups });
  const judging = await judgeShards({
    acts,
    ref,
    rollouts: rollouts.rollouts,
    shards,
    allowance: options.allowance,
  });
  if ('budgetSpent' in judging) return { judgeBudgetSpent: true, judgeUsage: judging.usage };
  const { judged } = judging;
  const rewards = await acts.fast.computeRewards({
    ...ref,
    rollouts: rollouts.rollouts,
    judgements: judged.map((j) => j.judgement),
  });
  return { rollouts, judged, rewards, judgeUsage: judging.usage };
}

/** The metrics record of a scored policy (for `writeMetrics`), timed from `started`. */
export function scoredMetrics(options: {
  ref: StepRef;
  stage: string;
  scored: ScoredPolicy;
  started: number;
}) {
  const { ref, scored } = options;
  return {
    trainRunId: ref.trainRunId,
    step: ref.step,
    purpose: ref.purpose,
    stage: options.stage,
    at: new Date().toISOString(),
    rollouts: scored.rollouts.stats,
    judge: scored.judged.map((j) => j.stats),
    rewards: scored.rewards.summary,
    wallMs: Date.now() - options.started,
  };
}
