import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  executeChild,
  log,
  setCurrentDetails,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { isJudgeBudgetSpent } from '../src/contracts/judge-budget.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import { runWorkflowIds } from '../src/contracts/workflow-ids.ts';
import { trainingActivities } from './activities.ts';
import { evaluationWorkflow } from './evaluation.ts';
import type { ScheduledEvaluationInput, ScheduledEvaluationResult } from '../src/contracts/workflow-types.ts';
import { DEFAULT_TIMING } from '../src/contracts/timing.ts';

/**
 * One tick of a run's evaluation schedule (`<trainRunId>/eval-schedule`): looks up the run's latest
 * committed checkpoint in the store and, unless the store already has an evaluation record for its
 * step (the run's own evaluation or an earlier tick's), evaluates it as the child
 * `<trainRunId>/scheduled-eval-<step>`, with the evaluation suites its configuration names. That id may run again only after a failure, so a tick that
 * finds it running or completed returns `already-started` instead of evaluating twice. Without a
 * committed checkpoint there is nothing to evaluate.
 */
export async function scheduledEvaluationWorkflow(
  input: ScheduledEvaluationInput,
): Promise<ScheduledEvaluationResult> {
  const { trainRunId } = input;
  const timing = input.timing ?? DEFAULT_TIMING;
  // The lookup runs on this workflow's own queue (the run's orchestrator queue); only `fast` is used.
  const queue = workflowInfo().taskQueue;
  const here: TaskQueues = { workflow: queue, rollout: queue, judge: queue, trainer: queue };
  const { fast } = trainingActivities({ taskQueues: here, timing });
  const show = (what: string) => setCurrentDetails(`**${trainRunId}** scheduled evaluation: ${what}`);

  show('looking up the latest checkpoint');
  const target = await fast.latestCheckpoint({ trainRunId });
  if (target.checkpoint === null) {
    show('no committed checkpoint yet');
    return { trainRunId, outcome: 'no-checkpoint', step: null, evaluationId: null, meanReward: null };
  }
  const { step, address } = target.checkpoint;
  // A lookup recorded before evaluation suites existed has no `suites`.
  const suites = target.suites ?? [];
  const evaluationId = runWorkflowIds.scheduledEvaluation(trainRunId, step);
  const done = (outcome: ScheduledEvaluationResult['outcome'], meanReward: number | null = null) => ({
    trainRunId,
    outcome,
    step,
    evaluationId,
    meanReward,
  });
  if (target.evaluated) {
    show(`checkpoint ${step} is evaluated already`);
    return done('already-evaluated');
  }
  show(`evaluating checkpoint ${step} (${evaluationId})`);
  try {
    const evaluation = await executeChild(evaluationWorkflow, {
      workflowId: evaluationId,
      taskQueue: target.taskQueues.workflow,
      // Completed (or running): never again; failed, cancelled, terminated or timed out: a later tick retries.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      args: [
        {
          trainRunId,
          configAddress: target.configAddress,
          step,
          checkpoint: address,
          judgeShards: target.judgeShards,
          taskQueues: target.taskQueues,
          timing,
          ...(suites.length === 0 ? {} : { suites }),
        },
      ],
    });
    // Given no allowance (scheduled evaluations are outside the run's judge budget), it is never
    // cut short by one.
    const meanReward = isJudgeBudgetSpent(evaluation) ? null : evaluation.meanReward;
    show(`checkpoint ${step}: mean reward ${meanReward?.toFixed(3) ?? 'n/a'}`);
    return done('evaluated', meanReward);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.info('the scheduled evaluation of this checkpoint exists already', {
      trainRunId,
      step,
      evaluationId,
    });
    show(`checkpoint ${step}: ${evaluationId} exists already`);
    return done('already-started');
  }
}
