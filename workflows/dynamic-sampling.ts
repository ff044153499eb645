import { ApplicationFailure } from '@temporalio/workflow';
import type { AssembleBatchOutput } from '../activities/types.ts';
import {
  type BatchVariance,
  type DynamicSamplingOutcome,
  dynamicSamplingOutcome,
  wantsRefill,
} from '../src/contracts/dynamic-sampling.ts';
import {
  addUsage,
  isJudgeBudgetSpent,
  type JudgeAllowance,
  type JudgeBudgetSpent,
  type JudgeUsage,
  NO_USAGE,
  remaining,
} from '../src/contracts/judge-budget.ts';
import type { StepRef } from '../src/contracts/step-refs.ts';
import type { ActivityProxies } from './activities.ts';
import { type ScoredPolicy, scorePolicy } from './score-policy.ts';

/** What dynamic sampling added to a step: its refill rounds, the batch it trains on, what it did. */
export interface RefilledBatch {
  /** Refill rounds run, round 1 first. */
  refills: ScoredPolicy[];
  /** The batch assembled from the rounds; undefined: the step trains on its planned batch. */
  trained: AssembleBatchOutput | undefined;
  outcome: DynamicSamplingOutcome;
  /** What judging the refill rounds spent. */
  judgeUsage: JudgeUsage;
}

/**
 * DAPO's dynamic sampling in the step workflow (`rl.dynamicSampling`): while fewer than
 * `promptsPerStep` groups have reward variance and rounds are left, runs refill round r (its own
 * prompts, drawn by the plan, sampled from the step's parent, judged and rewarded through the same
 * activities as the planned batch, under refs of its own), then assembles the batch the step trains
 * on from the rounds' groups with variance. Each round's activities find what an earlier execution
 * committed, so a step run again (a worker lost, the judge budget raised) redoes no finished round.
 * Judging goes through `judgeShards` within `allowance` (what the step has left of the run's judge
 * budget), so the run-wide budget counts it; when it runs out the step answers `judgeBudgetSpent`.
 */
export async function refillBatch(options: {
  acts: ActivityProxies;
  ref: StepRef;
  /** The checkpoint the step samples from (null: fresh adapters). */
  checkpoint: string | null;
  judgeShards: number;
  /** The planned batch (round 0): its rollouts, rewards and variance. */
  planned: { rollouts: string; rewards: string; variance: BatchVariance };
  allowance: JudgeAllowance | undefined;
  /** Called as each refill round starts (progress for queries and the Web UI). */
  onRound: (round: number, phase: 'rollouts' | 'judging') => void;
}): Promise<RefilledBatch | JudgeBudgetSpent> {
  const { acts, ref, planned, allowance } = options;
  const { wanted, maxRounds } = planned.variance;
  const variances: BatchVariance[] = [planned.variance];
  const refills: ScoredPolicy[] = [];
  let usage = NO_USAGE;
  let kept = planned.variance.withVariance;
  while (wantsRefill({ kept, wanted, roundsDone: refills.length, maxRounds })) {
    const round = refills.length + 1;
    const scored = await scorePolicy({
      acts,
      ref: { ...ref, round },
      checkpoint: options.checkpoint,
      judgeShards: options.judgeShards,
      allowance: allowance === undefined ? undefined : remaining({ budget: allowance, used: usage }),
      show: (phase) => options.onRound(round, phase),
    });
    if (isJudgeBudgetSpent(scored)) {
      return { judgeBudgetSpent: true, judgeUsage: addUsage(usage, scored.judgeUsage) };
    }
    usage = addUsage(usage, scored.judgeUsage);
    const variance = scored.rewards.variance;
    if (variance === undefined) {
      throw ApplicationFailure.create({
        type: 'ValidationError',
        message: `step ${ref.step} refill round ${round}: its rewards say nothing of variance (rl.dynamicSampling is off for the step's stage)`,
        nonRetryable: true,
      });
    }
    refills.push(scored);
    variances.push(variance);
    kept += variance.withVariance;
  }
  const outcome = dynamicSamplingOutcome(variances);
  // Nothing refilled, or nothing with variance anywhere: the planned batch is trained on as it is.
  const trained =
    refills.length === 0 || outcome.groupsKept === 0
      ? undefined
      : await acts.fast.assembleBatch({
          ...ref,
          rounds: [
            { rollouts: planned.rollouts, rewards: planned.rewards },
            ...refills.map((s) => ({ rollouts: s.rollouts.rollouts, rewards: s.rewards.rewards })),
          ],
        });
  return { refills, trained, outcome, judgeUsage: usage };
}
