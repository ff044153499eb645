/**
 * Workflow ids of a training run, declared once for the workflows that start them and the clients
 * that look them up. The run's own id is its `trainRunId`; its children and schedules are named
 * under it, numbered as in `src/contracts/steps.ts`. Workflow-safe: no imports.
 */
export const runWorkflowIds = {
  /** The training run itself. */
  run: (trainRunId: string) => trainRunId,
  /** Training step n. */
  step: (trainRunId: string, step: number) => `${trainRunId}/step-${step}`,
  /** Evaluation n (of checkpoint n; 0: the base policy). */
  evaluation: (trainRunId: string, step: number) => `${trainRunId}/eval-${step}`,
  /** Selection n: the data selection of the stage starting at step n. */
  selection: (trainRunId: string, step: number) => `${trainRunId}/select-${step}`,
  /**
   * A scheduled evaluation of checkpoint n: deterministic, so one checkpoint is evaluated at most
   * once however many schedule ticks see it, and distinct from the run's own evaluation n.
   */
  scheduledEvaluation: (trainRunId: string, step: number) => `${trainRunId}/scheduled-eval-${step}`,
  /** The run's evaluation schedule; its ticks run as `<trainRunId>/eval-schedule-<time>`. */
  evaluationSchedule: (trainRunId: string) => `${trainRunId}/eval-schedule`,
};
