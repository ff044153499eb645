/**
 * Step numbering, one convention for the workflows, the activities, the store and the CLI:
 *
 * - step n: training steps are numbered 1 .. totalSteps across the run, all stages together;
 * - checkpoint n: the policy after step n (`runs/<id>/checkpoints/step-<n>`). Checkpoint 0 is the
 *   base policy: fresh adapters from the run seed, no ref, its address null. Step n samples from
 *   and trains checkpoint n - 1 (its `parent`);
 * - evaluation n: scores checkpoint n, so it runs after step n; evaluation 0 scores the base policy;
 * - selection n: the data selection of the stage whose first step is n, run before that step;
 * - a stage covers steps firstStep .. firstStep + steps - 1; step 0 belongs to the first stage.
 *
 * Workflow-safe: no imports.
 */

/** Where a stage lies in the run's step numbering. */
export interface StageSpan {
  /** The stage's first step (1-based, across the run). */
  firstStep: number;
  steps: number;
}

/** Checkpoint n: the policy after step n (0: the base policy, whose address is null). */
export interface CheckpointInfo {
  step: number;
  address: string;
}

/** The stage step `step` belongs to (step 0, before training, is in the first stage); undefined past the end. */
export function stageOfStep<S extends StageSpan>(stages: readonly S[], step: number): S | undefined {
  if (step === 0) return stages[0];
  return stages.find((s) => step >= s.firstStep && step < s.firstStep + s.steps);
}

/** How many steps of its stage come before `step` (0 for the stage's first step). */
export function stepInStage(stage: StageSpan, step: number): number {
  return step - stage.firstStep;
}

/** How people read evaluation n: `evaluation of the base policy` for 0, else `evaluation after step n`. */
export function evaluationName(step: number): string {
  return step === 0 ? 'evaluation of the base policy' : `evaluation after step ${step}`;
}
