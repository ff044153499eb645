import { RL_OVERRIDE_KEYS, type RlOverrides } from '../src/contracts/rl-overrides.ts';
import { stageOfStep } from '../src/contracts/steps.ts';
import type { RunProgress, StageInfo, TrainingRunInput } from '../src/contracts/workflow-types.ts';

/**
 * Pure rules of the training workflow (no Temporal calls), tested on their own: which stage a step
 * is in, when to evaluate, checkpoint milestones, the Web UI's details text, overrides.
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

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? 'n/a' : v.toFixed(digits);

/** The Web UI's "current details" of a run, in Markdown. */
export function runDetails(p: RunProgress): string {
  const lines = [
    `**${p.trainRunId}**: ${p.status}${p.pauseRequested && p.status === 'running' ? ' (pausing after this step)' : ''}${p.stopRequested && p.status === 'running' ? ' (stopping after this step)' : ''}`,
    `step ${p.completedSteps}/${p.totalSteps}${p.currentStep === null ? '' : `, running step ${p.currentStep}`}${p.currentTask === null ? '' : `, running the ${p.currentTask}`}${p.stage === null ? '' : ` (stage ${p.stage})`} on ${p.modelName}`,
    `mean reward ${fmt(p.last?.meanReward)} · KL ${fmt(p.last?.kl, 4)} · loss ${fmt(p.last?.loss, 4)}${p.lastEval === null ? '' : ` · eval reward ${fmt(p.lastEval.meanReward)} (after step ${p.lastEval.step})`}`,
    `last checkpoint: ${p.lastCheckpoint === null ? 'none yet' : `step ${p.lastCheckpoint.step} (${p.lastCheckpoint.address})`}`,
  ];
  if (p.failure !== null) {
    lines.push(
      `step ${p.failure.step} failed (${p.failure.type}): ${p.failure.message}`,
      'signal `resume` (optionally with overrides) to run it again, or `stop`',
    );
  }
  if (Object.keys(p.overrides).length > 0) lines.push(`overrides: ${JSON.stringify(p.overrides)}`);
  return lines.join('\n\n');
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
