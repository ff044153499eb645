import { RL_OVERRIDE_KEYS, type RlOverrides } from '../src/contracts/rl-overrides.ts';
import { stageOfStep } from '../src/contracts/steps.ts';
import type { StageInfo, TrainingRunInput } from '../src/contracts/workflow-types.ts';

/**
 * Pure rules of the training workflow (no Temporal calls), tested on their own: which stage a step
 * is in, when to evaluate, checkpoint milestones, overrides, failures (the Web UI's details text:
 * src/contracts/run-details.ts).
 */

export function stageOf(stages: readonly StageInfo[], step: number): StageInfo {
  const stage = stageOfStep(stages, step);
  if (stage === undefined) throw new Error(`step ${step} is in no stage`);
  return stage;
}

/** Evaluate after every `every` steps and after the last step (never when `every` is 0). */
export function evaluationDue(options: { step: number; every: number; totalSteps: number }): boolean {
  const { step, every, totalSteps } = options;
  return every > 0 && (step % every === 0 || step === totalSteps);
}

/** Checkpoints kept for good: every `checkpointEvery` steps and the last. */
export function isMilestone(
  input: Pick<TrainingRunInput, 'checkpointEvery' | 'totalSteps'>,
  step: number,
): boolean {
  return step % input.checkpointEvery === 0 || step === input.totalSteps;
}

/**
 * Overrides merged with new ones. Unknown keys and values that are not finite numbers >= 0 are
 * dropped (a signal cannot fail a workflow); the trainer validates the merged settings in full.
 */
export function mergeOverrides(current: RlOverrides, update: unknown): RlOverrides {
  const out: RlOverrides = { ...current };
  if (typeof update !== 'object' || update === null) return out;
  for (const key of RL_OVERRIDE_KEYS) {
    const value = (update as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[key] = value;
  }
  return out;
}

/** The innermost message and type of a failure chain (child workflow -> activity -> application). */
export function rootFailure(err: unknown): { type: string; message: string } {
  let current: unknown = err;
  let type = 'Error';
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
    const t = (current as { type?: unknown }).type;
    if (typeof t === 'string' && t !== '') type = t;
    if (current.message !== '') message = current.message;
    current = current.cause;
  }
  return { type, message };
}
