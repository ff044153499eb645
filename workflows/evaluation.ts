import { setCurrentDetails } from '@temporalio/workflow';
import type { StepRef } from '../activities/types.ts';
import { trainingActivities } from './activities.ts';
import { scoredMetrics, scorePolicy } from './score-policy.ts';
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
  const scored = await scorePolicy({
    acts,
    ref,
    checkpoint: input.checkpoint,
    judgeShards: input.judgeShards,
    show: (phase) =>
      setCurrentDetails(`**${input.trainRunId}** evaluation after step ${input.step}: ${phase}`),
  });
  const { rewards } = scored;
  await acts.fast.writeMetrics(scoredMetrics({ ref, stage: scored.rollouts.stage, scored, started }));
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
