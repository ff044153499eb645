import { setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { JudgeBudgetSpent } from '../src/contracts/judge-budget.ts';
import type { StepRef } from '../src/contracts/step-refs.ts';
import { trainingActivities } from './activities.ts';
import { judgeShards } from './judge-shards.ts';
import { stepProgressQuery } from '../src/contracts/messages.ts';
import type { StepInput, StepProgress, StepResult } from '../src/contracts/workflow-types.ts';

/** Judge shards for a batch: as configured, at most one per prompt group. */
export function shardCount(options: { configured: number; groups: number }): number {
  return Math.max(1, Math.min(options.configured, options.groups));
}

/**
 * One training step, as its own workflow (`<trainRunId>/step-<n>`): rollouts, judge shards in
 * parallel, rewards and advantages, the policy update (which commits checkpoint n), publishing the
 * checkpoint, metrics. Every activity finds and returns what an earlier attempt committed, so running
 * the step again after a failure redoes only what was not committed, from checkpoint n-1. Judging
 * keeps within `judgeAllowance` (the run's judge budget left); when it runs out the step stops
 * before rewards and answers `judgeBudgetSpent` with what it spent.
 */
export async function trainingStepWorkflow(input: StepInput): Promise<StepResult | JudgeBudgetSpent> {
  const started = Date.now();
  const progress: StepProgress = { step: input.step, phase: 'rollouts', judgeShards: 0, judgeShardsDone: 0 };
  setHandler(stepProgressQuery, () => progress);
  const phase = (p: StepProgress['phase']) => {
    progress.phase = p;
    setCurrentDetails(
      `**${input.trainRunId}** step ${input.step}/${input.totalSteps} (${input.stage}): ${p}`,
    );
  };
  const acts = trainingActivities(input);
  const ref: StepRef = {
    trainRunId: input.trainRunId,
    configAddress: input.configAddress,
    step: input.step,
    purpose: 'train',
  };

  phase('rollouts');
  const rollouts = await acts.rollout.generateRollouts({ ...ref, checkpoint: input.parent });

  phase('judging');
  const shards = shardCount({ configured: input.judgeShards, groups: rollouts.groups });
  progress.judgeShards = shards;
  const judging = await judgeShards({
    acts,
    ref,
    rollouts: rollouts.rollouts,
    shards,
    allowance: input.judgeAllowance,
    onShardJudged: () => progress.judgeShardsDone++,
  });
  // The run's judge budget ran out: nothing of this step is scored; the run pauses and runs the
  // step again once the budget is raised (the rollouts and judged shards are found committed).
  if ('budgetSpent' in judging) {
    phase('judge-budget-spent');
    return { judgeBudgetSpent: true, judgeUsage: judging.usage };
  }
  const { judged } = judging;

  phase('rewards');
  const rewards = await acts.fast.computeRewards({
    ...ref,
    rollouts: rollouts.rollouts,
    judgements: judged.map((j) => j.judgement),
  });

  phase('update');
  const update = await acts.trainer.updatePolicy({
    trainRunId: input.trainRunId,
    configAddress: input.configAddress,
    step: input.step,
    parent: input.parent,
    rollouts: rollouts.rollouts,
    rewards: rewards.rewards,
    overrides: input.overrides,
  });

  phase('commit');
  await acts.fast.commitCheckpoint({
    trainRunId: input.trainRunId,
    step: input.step,
    checkpoint: update.checkpoint,
    parent: input.parent,
    milestone: input.milestone,
    meta: {
      modelName: input.modelName,
      stage: input.stage,
      totalSteps: input.totalSteps,
      meanReward: rewards.summary.mean,
    },
  });

  phase('metrics');
  const wallMs = Date.now() - started;
  await acts.fast.writeMetrics({
    trainRunId: input.trainRunId,
    step: input.step,
    purpose: 'train',
    stage: input.stage,
    at: new Date().toISOString(),
    rollouts: rollouts.stats,
    judge: judged.map((j) => j.stats),
    rewards: rewards.summary,
    update: update.summary,
    wallMs,
  });
  phase('done');
  const m = update.summary.metrics;
  return {
    step: input.step,
    stage: input.stage,
    checkpoint: update.checkpoint,
    meanReward: rewards.summary.mean,
    kl: m['kl/ref'] ?? null,
    loss: m['loss/total'] ?? null,
    clipFraction: m['policy/clip_fraction'] ?? null,
    applied: update.summary.applied,
    wallMs,
    phaseMs: {
      rollouts: rollouts.stats.ms,
      judge: Math.max(0, ...judged.map((j) => j.stats.ms)),
      rewards: rewards.summary.ms,
      update: update.summary.ms,
    },
    reused: { rollouts: rollouts.reused, rewards: rewards.reused, update: !update.created },
    judgeUsage: judging.usage,
  };
}
