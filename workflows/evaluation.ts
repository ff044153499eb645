import { setCurrentDetails } from '@temporalio/workflow';
import type { StepRef } from '../activities/types.ts';
import { trainingActivities } from './activities.ts';
import { shardCount } from './training-step.ts';
import type { EvaluationInput, EvaluationResult } from './types.ts';

/**
 * Scores the policy of a checkpoint on the run's evaluation prompts (`<trainRunId>/eval-<n>`):
 * rollouts with the evaluation's sampling settings, judging, rewards without advantages, and the
 * metrics under `eval/`. Nothing is trained.
 */
export async function evaluationWorkflow(input: EvaluationInput): Promise<EvaluationResult> {
  const started = Date.now();
  const acts = trainingActivities(input);
  const ref: StepRef = {
    trainRunId: input.trainRunId,
    configAddress: input.configAddress,
    step: input.step,
    purpose: 'eval',
  };
  setCurrentDetails(`**${input.trainRunId}** evaluation after step ${input.step}: rollouts`);
  const rollouts = await acts.rollout.generateRollouts({ ...ref, checkpoint: input.checkpoint });
  setCurrentDetails(`**${input.trainRunId}** evaluation after step ${input.step}: judging`);
  const shards = shardCount({ configured: input.judgeShards, groups: rollouts.groups });
  const judged = await Promise.all(
    Array.from({ length: shards }, (_, shard) =>
      acts.judge.judgeRollouts({ ...ref, rollouts: rollouts.rollouts, shard, shards }),
    ),
  );
  const rewards = await acts.fast.computeRewards({
    ...ref,
    rollouts: rollouts.rollouts,
    judgements: judged.map((j) => j.judgement),
  });
  await acts.fast.writeMetrics({
    trainRunId: input.trainRunId,
    step: input.step,
    purpose: 'eval',
    stage: rollouts.stage,
    at: new Date().toISOString(),
    rollouts: rollouts.stats,
    judge: judged.map((j) => j.stats),
    rewards: rewards.summary,
    wallMs: Date.now() - started,
  });
  setCurrentDetails(
    `**${input.trainRunId}** evaluation after step ${input.step}: mean reward ${rewards.summary.mean?.toFixed(3) ?? 'n/a'}`,
  );
  return {
    step: input.step,
    meanReward: rewards.summary.mean,
    responses: rewards.summary.responses,
    scored: rewards.summary.scored,
  };
}
