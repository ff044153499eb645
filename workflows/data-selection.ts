import { setCurrentDetails } from '@temporalio/workflow';
import { isJudgeBudgetSpent, type JudgeBudgetSpent } from '../src/contracts/judge-budget.ts';
import type { StepRef } from '../src/contracts/step-refs.ts';
import { trainingActivities } from './activities.ts';
import { scoredMetrics, scorePolicy } from './score-policy.ts';
import type { SelectionInput, SelectionResult } from '../src/contracts/workflow-types.ts';

/**
 * Data selection for a stage (`<trainRunId>/select-<n>`, n its first step): the stage's prompts are
 * sampled and scored like a step's, without training, and the prompts whose mean reward falls in the
 * configured central quantile band become the stage's prompt list. Judging keeps within
 * `judgeAllowance`; when the run's judge budget runs out first it answers `judgeBudgetSpent`.
 */
export async function dataSelectionWorkflow(
  input: SelectionInput,
): Promise<SelectionResult | JudgeBudgetSpent> {
  const started = Date.now();
  const acts = trainingActivities(input);
  const ref: StepRef = {
    trainRunId: input.trainRunId,
    configAddress: input.configAddress,
    step: input.step,
    purpose: 'select',
    ...(input.stageStarts === undefined ? {} : { stageStarts: input.stageStarts }),
  };
  const show = (what: string) =>
    setCurrentDetails(`**${input.trainRunId}** data selection for stage ${input.stage}: ${what}`);
  const scored = await scorePolicy({
    acts,
    ref,
    checkpoint: input.checkpoint,
    judgeShards: input.judgeShards,
    allowance: input.judgeAllowance,
    show,
  });
  if (isJudgeBudgetSpent(scored)) {
    show('judge budget spent');
    return scored;
  }
  const selected = await acts.fast.selectPrompts({
    trainRunId: input.trainRunId,
    configAddress: input.configAddress,
    step: input.step,
    rewards: scored.rewards.rewards,
    ...(input.stageStarts === undefined ? {} : { stageStarts: input.stageStarts }),
  });
  await acts.fast.writeMetrics(scoredMetrics({ ref, stage: input.stage, scored, started }));
  show(
    `kept ${selected.kept} of ${selected.scored} prompts${selected.fallback === null ? '' : ` (${selected.fallback})`}`,
  );
  return {
    step: input.step,
    scored: selected.scored,
    kept: selected.kept,
    fallback: selected.fallback,
    judgeUsage: scored.judgeUsage,
  };
}
