/**
 * How the workflows, the activities and the store name one step's work: its purpose and its key.
 * Declared once here; `src/train/run-refs.ts` turns a key into ref names, the record schemas check
 * the purpose against `PURPOSES`. Step numbers follow `src/contracts/steps.ts`. Workflow-safe: no
 * imports.
 */

/**
 * A training step (`train`) produces rollouts for learning; an evaluation (`eval`) scores held-out
 * prompts with a checkpoint; a data selection (`select`) scores a stage's prompts to keep those
 * neither solved nor hopeless.
 */
export const PURPOSES = ['train', 'eval', 'select'] as const;
export type Purpose = (typeof PURPOSES)[number];

/**
 * Which step of which run, for which purpose: the key of its refs in the store. `step` is the
 * training step for `train`, the checkpoint evaluated for `eval` (the evaluation after step n), the
 * first step of the stage for `select` (see `src/contracts/steps.ts`).
 */
export interface StepKey {
  trainRunId: string;
  step: number;
  purpose: Purpose;
  /**
   * A refill round of a training step (dynamic sampling, `rl.dynamicSampling`): 1, 2, ... up to its
   * `maxRounds`, each with prompts, rollouts, verdicts and rewards of its own. Absent: the step's
   * planned batch (round 0), as in every run without dynamic sampling.
   */
  round?: number;
}

/** A step key and the address of the run's stored configuration: every step activity's input starts with it. */
export interface StepRef extends StepKey {
  configAddress: string;
  /**
   * The first step of each stage begun so far, when a stage ended early on its threshold
   * (`stages[].advanceWhen`, src/contracts/stage-advance.ts); absent: the planned stages. Not part
   * of the key: it says which stage the step is in, not which step it is.
   */
  stageStarts?: number[];
}

/** The key of a ref or an activity input: its run, step, purpose and refill round (when one), nothing else. */
export function stepKeyOf(ref: StepKey): StepKey {
  return {
    trainRunId: ref.trainRunId,
    step: ref.step,
    purpose: ref.purpose,
    ...(ref.round === undefined || ref.round === 0 ? {} : { round: ref.round }),
  };
}
