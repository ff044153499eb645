import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { JudgeBudgetRaise, JudgeBudgetView } from './judge-budget.ts';
import type { ResumeRequest, RunProgress, StepProgress } from './workflow-types.ts';

/**
 * Signals, queries and updates of the training workflows, defined once: workflows set their
 * handlers, the CLI and tests send them by these definitions.
 */

/** Pause after the current step (its checkpoint is committed first). */
export const pauseSignal = defineSignal('pause');

/**
 * Continue a paused run, or run a failed step again. Overrides (learning rate, KL coefficient, ...)
 * apply from the next step on and stay for the rest of the run.
 */
export const resumeSignal = defineSignal<[ResumeRequest]>('resume');

/** Finish the current step, commit its checkpoint and end the run cleanly. */
export const stopSignal = defineSignal('stop');

/** A run's progress: status, step, last checkpoint, reward, KL, failure. */
export const progressQuery = defineQuery<RunProgress>('progress');

/** The phase of a step workflow (rollouts, judging, rewards, update, commit, metrics). */
export const stepProgressQuery = defineQuery<StepProgress>('stepProgress');

/**
 * Raise the run's judge budget (`anchorage budget <run> --add-requests N`): a run paused because
 * the budget is spent goes on once enough is left. Refused (the run unchanged) when the raise is not
 * positive whole numbers for limits the run has; answers the budget after the raise.
 */
export const raiseJudgeBudgetUpdate = defineUpdate<JudgeBudgetView, [JudgeBudgetRaise]>('raiseJudgeBudget');
