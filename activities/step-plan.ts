import type { WeightedRubric } from '../src/config/rubric-rules.ts';
import type { StagePlan } from '../src/config/stages.ts';
import type { LocatedPrompt } from '../src/data/prompt-record.ts';
import { selectStepPrompts, stepSeed } from '../src/train/step-prompts.ts';
import type { RunContext } from './run-context.ts';
import type { StepRef } from './types.ts';

/** What a step samples: its prompts in batch order (with their rubrics), G and the sampling settings. */
export interface StepPlan {
  stage: StagePlan;
  entries: Array<{ prompt: LocatedPrompt; rubrics: WeightedRubric[] }>;
  groupSize: number;
  sampling: { temperature: number; topP: number; maxNewTokens: number; seed: number };
}

/**
 * The plan of a training step or an evaluation, derived from the configuration and the step number
 * alone, so the rollout and judge activities (on any worker, in any attempt) agree on it.
 */
export function stepPlan(run: RunContext, ref: StepRef): StepPlan {
  const { config } = run;
  const stage = run.stageForStep(ref.step);
  const seed = stepSeed({ runSeed: config.seed, step: ref.step, purpose: ref.purpose });
  if (ref.purpose === 'eval') {
    return {
      stage,
      entries: run.evaluationPrompts(),
      groupSize: config.evaluation.samplesPerPrompt,
      sampling: {
        temperature: config.evaluation.temperature,
        topP: 1,
        maxNewTokens: config.evaluation.maxNewTokens ?? stage.rl.maxNewTokens,
        seed,
      },
    };
  }
  const list = run.trainingPrompts(stage);
  const indices = selectStepPrompts({
    promptCount: list.length,
    perStep: stage.rl.promptsPerStep,
    seed: config.seed,
    stageIndex: stage.index,
    stepInStage: ref.step - 1 - stage.startStep,
  });
  return {
    stage,
    entries: indices.map((i) => list[i]!),
    groupSize: stage.rl.groupSize,
    sampling: {
      temperature: stage.rl.temperature,
      topP: stage.rl.topP,
      maxNewTokens: stage.rl.maxNewTokens,
      seed,
    },
  };
}
