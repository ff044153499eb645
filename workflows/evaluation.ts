import { ActivityFailure, log, setCurrentDetails } from '@temporalio/workflow';
import { isJudgeBudgetSpent, type JudgeBudgetSpent } from '../src/contracts/judge-budget.ts';
import { pickMetrics } from '../src/contracts/stage-advance.ts';
import type { StepRef } from '../src/contracts/step-refs.ts';
import type { MetricsFailure, SuiteSummary } from '../src/train/metrics.ts';
import { type ActivityProxies, trainingActivities } from './activities.ts';
import { rootFailure } from './run-rules.ts';
import { scoredMetrics, scorePolicy } from './score-policy.ts';
import type { EvaluationInput, EvaluationResult } from '../src/contracts/workflow-types.ts';

/**
 * Scores the policy of a checkpoint on the run's evaluation prompts (`<trainRunId>/eval-<n>`):
 * rollouts with the evaluation's sampling settings, judging, rewards without advantages; then runs
 * each evaluation suite of the configuration (`evaluation.suites`: ifeval, ...) on the checkpoint;
 * and writes one metrics record under `eval/`, the suites' numbers as `eval/<suite>/<key>`. Nothing
 * is trained. A suite that fails is logged and named in the record's failures, its metrics left
 * out (never 0); the evaluation goes on. Judging keeps within `judgeAllowance`; when the run's judge
 * budget runs out first, nothing is scored and it answers `judgeBudgetSpent` (the run pauses).
 */
export async function evaluationWorkflow(
  input: EvaluationInput,
): Promise<EvaluationResult | JudgeBudgetSpent> {
  const started = Date.now();
  const acts = trainingActivities(input);
  const ref: StepRef = {
    trainRunId: input.trainRunId,
    configAddress: input.configAddress,
    step: input.step,
    purpose: 'eval',
    ...(input.stageStarts === undefined ? {} : { stageStarts: input.stageStarts }),
  };
  const show = (phase: string) =>
    setCurrentDetails(`**${input.trainRunId}** evaluation after step ${input.step}: ${phase}`);
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
  const { rewards } = scored;
  const suites = input.suites ?? [];
  const ran = suites.length === 0 ? undefined : await runSuites({ acts, ref, input, show });
  const written = await acts.fast.writeMetrics({
    ...scoredMetrics({ ref, stage: scored.rollouts.stage, scored, started }),
    ...(ran === undefined ? {} : { suites: ran.summaries, failures: ran.failures }),
  });
  show(`mean reward ${rewards.summary.mean?.toFixed(3) ?? 'n/a'}`);
  return {
    step: input.step,
    meanReward: rewards.summary.mean,
    responses: rewards.summary.responses,
    scored: rewards.summary.scored,
    judgeUsage: scored.judgeUsage,
    // The run's stage threshold reads these (recorded here, so replay and retries read the same).
    ...(input.watch === undefined ? {} : { watched: pickMetrics(written.metrics, input.watch) }),
    ...(ran === undefined
      ? {}
      : {
          suites: {
            done: ran.summaries.map((s) => s.suite),
            failed: ran.failures.map((f) => f.what.slice('eval/'.length)),
          },
        }),
  };
}

/** Each suite in turn on the rollout queue; a failed one is recorded and the next one runs. */
async function runSuites(options: {
  acts: ActivityProxies;
  ref: StepRef;
  input: EvaluationInput;
  show: (phase: string) => void;
}): Promise<{ summaries: SuiteSummary[]; failures: MetricsFailure[] }> {
  const { acts, ref, input } = options;
  const summaries: SuiteSummary[] = [];
  const failures: MetricsFailure[] = [];
  for (const suite of input.suites ?? []) {
    options.show(`suite ${suite}`);
    try {
      const result = await acts.rollout.evaluateSuite({ ...ref, checkpoint: input.checkpoint, suite });
      summaries.push({ suite, summary: result.summary });
    } catch (err) {
      // A suite informs; it never fails the evaluation (nor, through it, training).
      if (!(err instanceof ActivityFailure)) throw err;
      const failure = rootFailure(err);
      failures.push({ what: `eval/${suite}`, ...failure });
      log.warn('evaluation suite failed; its metrics are left out', { step: input.step, suite, ...failure });
    }
  }
  return { summaries, failures };
}
