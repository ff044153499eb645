import { setCurrentDetails, setHandler } from '@temporalio/workflow';
import {
  addUsage,
  isJudgeBudgetSpent,
  type JudgeBudgetSpent,
  remaining,
} from '../src/contracts/judge-budget.ts';
import { pickMetrics } from '../src/contracts/stage-advance.ts';
import type { StepRef } from '../src/contracts/step-refs.ts';
import { trainingActivities } from './activities.ts';
import { type RefilledBatch, refillBatch } from './dynamic-sampling.ts';
import { judgeShards, shardCount } from './judge-shards.ts';
import { stepProgressQuery } from '../src/contracts/messages.ts';
import type { StepInput, StepProgress, StepResult } from '../src/contracts/workflow-types.ts';

/**
 * One training step, as its own workflow (`<trainRunId>/step-<n>`): rollouts, judge shards in
 * parallel, rewards and advantages, the policy update (which commits checkpoint n), publishing the
 * checkpoint, metrics. Every activity finds and returns what an earlier attempt committed, so running
 * the step again after a failure redoes only what was not committed, from checkpoint n-1. Judging
 * keeps within `judgeAllowance` (the run's judge budget left); when it runs out the step stops
 * before rewards and answers `judgeBudgetSpent` with what it spent. With `rl.dynamicSampling` (the
 * rewards activity then answers the batch's variance), refill rounds follow the rewards until enough
 * groups vary, and the update trains on the batch assembled from them (workflows/dynamic-sampling.ts).
 */
export async function trainingStepWorkflow(input: StepInput): Promise<StepResult | JudgeBudgetSpent> {
  const started = Date.now();
  const progress: StepProgress = { step: input.step, phase: 'rollouts', judgeShards: 0, judgeShardsDone: 0 };
  setHandler(stepProgressQuery, () => progress);
  const phase = (p: StepProgress['phase'], detail?: string) => {
    progress.phase = p;
    setCurrentDetails(
      `**${input.trainRunId}** step ${input.step}/${input.totalSteps} (${input.stage}): ${p}${detail === undefined ? '' : ` ${detail}`}`,
    );
  };
  const acts = trainingActivities(input);
  const ref: StepRef = {
    trainRunId: input.trainRunId,
    configAddress: input.configAddress,
    step: input.step,
    purpose: 'train',
    ...(input.stageStarts === undefined ? {} : { stageStarts: input.stageStarts }),
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

  // Dynamic sampling: only where the rewards activity answers the batch's variance (the stage has
  // rl.dynamicSampling); without it the step goes on exactly as it always has.
  let dynamic: RefilledBatch | undefined;
  if (rewards.variance !== undefined) {
    const refilled = await refillBatch({
      acts,
      ref,
      checkpoint: input.parent,
      judgeShards: input.judgeShards,
      planned: { rollouts: rollouts.rollouts, rewards: rewards.rewards, variance: rewards.variance },
      allowance:
        input.judgeAllowance === undefined
          ? undefined
          : remaining({ budget: input.judgeAllowance, used: judging.usage }),
      onRound: (round, p) => {
        progress.refillRound = round;
        phase('refill', `round ${round} ${p}`);
      },
    });
    if (isJudgeBudgetSpent(refilled)) {
      phase('judge-budget-spent');
      return { judgeBudgetSpent: true, judgeUsage: addUsage(judging.usage, refilled.judgeUsage) };
    }
    dynamic = refilled;
  }
  const trained = dynamic?.trained ?? { rollouts: rollouts.rollouts, rewards: rewards.rewards };
  const judgedUsage = dynamic === undefined ? judging.usage : addUsage(judging.usage, dynamic.judgeUsage);
  // Adaptive defence: the monitor reads the planned batch while the policy updates (only where the
  // run has it on, so runs without it schedule exactly what they always did). Its judge requests
  // (judged monitor criteria, LLM-written proposals) get what the step's allowance has left.
  const monitoring =
    input.adaptiveDefence === true
      ? acts.judge.monitorStep({
          ...ref,
          rollouts: rollouts.rollouts,
          rewards: rewards.rewards,
          ...(input.judgeAllowance === undefined
            ? {}
            : { allowance: remaining({ budget: input.judgeAllowance, used: judgedUsage }) }),
        })
      : undefined;
  // Awaited before the metrics; a failed update must not leave its rejection unhandled meanwhile.
  monitoring?.catch(() => undefined);

  phase('update');
  const update = await acts.trainer.updatePolicy({
    trainRunId: input.trainRunId,
    configAddress: input.configAddress,
    step: input.step,
    parent: input.parent,
    rollouts: trained.rollouts,
    rewards: trained.rewards,
    overrides: input.overrides,
    ...(input.stageStarts === undefined ? {} : { stageStarts: input.stageStarts }),
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
  const monitor = await monitoring;
  // A monitor record written before it counted its judge requests reports none.
  const judgeUsage = addUsage(judgedUsage, monitor?.judgeUsage);
  const wallMs = Date.now() - started;
  const written = await acts.fast.writeMetrics({
    trainRunId: input.trainRunId,
    step: input.step,
    purpose: 'train',
    stage: input.stage,
    at: new Date().toISOString(),
    rollouts: rollouts.stats,
    judge: [...judged, ...(dynamic?.refills.flatMap((r) => r.judged) ?? [])].map((j) => j.stats),
    rewards: rewards.summary,
    update: update.summary,
    wallMs,
    ...(monitor === undefined ? {} : { monitor: monitor.metrics }),
    ...(dynamic === undefined
      ? {}
      : {
          dynamicSampling: {
            outcome: dynamic.outcome,
            refills: dynamic.refills.map((r) => r.rollouts.stats),
            ...(dynamic.trained === undefined ? {} : { trained: dynamic.trained.summary }),
          },
        }),
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
    judgeUsage,
    ...(monitor === undefined
      ? {}
      : { defence: { onsets: monitor.onsets, proposed: monitor.proposed.length, pending: monitor.pending } }),
    // The run's stage threshold reads these (recorded here, so replay and retries read the same).
    ...(input.watch === undefined ? {} : { watched: pickMetrics(written.metrics, input.watch) }),
  };
}
