import type { WeightedRubric } from '../config/rubric-rules.ts';
import type { StagePlan } from '../config/stages.ts';
import type { StepKey } from '../contracts/step-refs.ts';
import { type DefenceRubrics, defenceRubrics, stepDefence } from '../defence/step-defence.ts';
import { stepInStage } from '../contracts/steps.ts';
import { SeededRandom } from '../data/generator/rng.ts';
import type { LocatedPrompt } from '../data/prompt-record.ts';
import type { ResolvedRubric } from '../rubric/resolve.ts';
import type { ArtifactStore } from '../store/store.ts';
import { runRefs } from '../train/run-refs.ts';
import { SelectionRecord } from '../train/selection.ts';
import { refillRounds } from '../train/refill-prompts.ts';
import { mixSeed, promptStratum, selectStepPrompts, stepSeed } from '../train/step-prompts.ts';
import { ValidationError } from '../util/errors.ts';
import type { RunContext } from './run-context.ts';

type Entry = { prompt: LocatedPrompt; rubrics: WeightedRubric[] };

/** What a step samples: its prompts in batch order (with their rubrics), G and the sampling settings. */
export interface StepPlan {
  stage: StagePlan;
  entries: Entry[];
  groupSize: number;
  sampling: { temperature: number; topP: number; maxNewTokens: number; seed: number };
  /** Members of each group (the first ones) decoded greedily instead of sampled: 0 or 1. */
  greedyMembers: number;
  /**
   * Dynamic sampling (`rl.dynamicSampling`, training steps only): the refill rounds the step may run
   * (its `maxRounds`, fewer when the stage's pool runs out) and the groups with reward variance it
   * wants (`rl.promptsPerStep`). Absent: off.
   */
  refill?: { rounds: number; wanted: number };
  /** Every rubric the plan's entries name, resolved: the run's, and a training step's defence rubrics. */
  rubrics: ReadonlyMap<string, ResolvedRubric>;
}

/**
 * The defence rubrics a training step applies (`defence.adaptive`: its defence set, fixed when the
 * step is first planned, src/defence/step-defence.ts); none for evaluations and selections.
 */
async function planDefence(options: { run: RunContext; ref: StepKey; store: ArtifactStore }) {
  const { run, ref, store } = options;
  const adaptive = run.config.defence.adaptive;
  if (!adaptive.enabled || ref.purpose !== 'train') return undefined;
  const set = await stepDefence({
    store,
    trainRunId: ref.trainRunId,
    step: ref.step,
    autoApply: adaptive.autoApply,
  });
  return set.applied.length === 0 ? undefined : defenceRubrics({ store, set, weight: adaptive.weight });
}

/** The resolved rubrics of a step: the run's, with a training step's defence rubrics added. */
export async function stepRubrics(options: {
  run: RunContext;
  ref: StepKey;
  store: ArtifactStore;
}): Promise<ReadonlyMap<string, ResolvedRubric>> {
  return withDefence(options.run.prepared.rubrics, await planDefence(options));
}

function withDefence(
  own: ReadonlyMap<string, ResolvedRubric>,
  defence: DefenceRubrics | undefined,
): ReadonlyMap<string, ResolvedRubric> {
  if (defence === undefined) return own;
  return new Map([...own, ...defence.resolved.map((r) => [r.id, r] as const)]);
}

/**
 * The prompts a data selection scores for a stage: all of them, or a seeded sample of `maxPrompts`
 * kept in the stage's order.
 */
export function selectionCandidates(run: RunContext, stage: StagePlan): Entry[] {
  const list = run.trainingPrompts(stage);
  const max = stage.dataSelection.maxPrompts;
  if (max === undefined || max >= list.length) return list;
  const picked = new Set(
    new SeededRandom(mixSeed(run.config.seed, stage.index, 0x5e1ec7)).sample(
      list.map((_, i) => i),
      max,
    ),
  );
  return list.filter((_, i) => picked.has(i));
}

/** A stage's training prompts after its data selection (all of them when selection is off). */
async function stagePrompts(options: {
  run: RunContext;
  stage: StagePlan;
  store: ArtifactStore;
  trainRunId: string;
}) {
  const { run, stage, store, trainRunId } = options;
  const list = run.trainingPrompts(stage);
  if (!stage.dataSelection.enabled) return list;
  const address = await store.getRef(runRefs.selection(trainRunId, stage.firstStep));
  if (address === undefined) {
    throw new ValidationError(
      `stage '${stage.name}' selects its data, but no selection was made for ${trainRunId} (expected ref ${runRefs.selection(trainRunId, stage.firstStep)})`,
    );
  }
  const selection = await store.getJson(address, SelectionRecord);
  if (selection.fallback !== undefined) return list;
  const kept = new Set(selection.kept);
  return list.filter((e) => kept.has(e.prompt.record.id));
}

/**
 * The plan of a training step, an evaluation or a data selection, derived from the configuration,
 * the step number and (for a stage with data selection) the stored selection alone, so the rollout
 * and judge activities (on any worker, in any attempt) agree on it. A selection's `step` is the
 * first step of its stage. A training step's refill round (`ref.round`, dynamic sampling) plans the
 * round's prompts (src/train/refill-prompts.ts), sampled with a seed of the round's own.
 */
export async function stepPlan(options: {
  run: RunContext;
  ref: StepKey;
  store: ArtifactStore;
}): Promise<StepPlan> {
  const { run, ref, store } = options;
  const { config } = run;
  const stage = run.stageForStep(ref.step);
  const round = ref.round ?? 0;
  if (round !== 0 && ref.purpose !== 'train') {
    throw new ValidationError(`refill rounds belong to training steps, not to purpose '${ref.purpose}'`);
  }
  const stepSampling = stepSeed({ runSeed: config.seed, step: ref.step, purpose: ref.purpose });
  const seed = round === 0 ? stepSampling : mixSeed(stepSampling, round);
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
      greedyMembers: 0,
      rubrics: run.prepared.rubrics,
    };
  }
  const sampling = {
    temperature: stage.rl.temperature,
    topP: stage.rl.topP,
    maxNewTokens: stage.rl.maxNewTokens,
    seed,
  };
  if (ref.purpose === 'select') {
    if (ref.step !== stage.firstStep) {
      throw new ValidationError(
        `a data selection runs at the first step of a stage; step ${ref.step} is not`,
      );
    }
    return {
      stage,
      entries: selectionCandidates(run, stage),
      groupSize: stage.dataSelection.samplesPerPrompt,
      sampling,
      greedyMembers: 0,
      rubrics: run.prepared.rubrics,
    };
  }
  const list = await stagePrompts({ run, stage, store, trainRunId: ref.trainRunId });
  const planned = selectStepPrompts({
    promptCount: list.length,
    perStep: stage.rl.promptsPerStep,
    seed: config.seed,
    stageIndex: stage.index,
    stepInStage: stepInStage(stage, ref.step),
    ...(config.prompts.balanceBy === undefined
      ? {}
      : { strata: list.map((e) => promptStratum(e.prompt.record.tags, config.prompts.balanceBy!)) }),
  });
  const dynamic = stage.rl.dynamicSampling;
  const rounds =
    dynamic === undefined
      ? []
      : refillRounds({
          promptCount: list.length,
          planned,
          perRound: dynamic.promptsPerRound ?? stage.rl.promptsPerStep,
          maxRounds: dynamic.maxRounds,
          seed: config.seed,
          stageIndex: stage.index,
          step: ref.step,
        });
  const indices = round === 0 ? planned : rounds[round - 1];
  if (indices === undefined) {
    throw new ValidationError(
      `step ${ref.step} has ${rounds.length} refill rounds (rl.dynamicSampling in stage '${stage.name}'); round ${round} was asked for`,
    );
  }
  const defence = await planDefence({ run, ref, store });
  const entries = indices.map((i) => list[i]!);
  return {
    stage,
    entries:
      defence === undefined
        ? entries
        : entries.map((e) => ({
            prompt: e.prompt,
            rubrics: [
              ...e.rubrics,
              ...defence.weighted.filter((d) => !e.rubrics.some((r) => r.rubricId === d.rubricId)),
            ],
          })),
    rubrics: withDefence(run.prepared.rubrics, defence),
    groupSize: stage.rl.groupSize,
    sampling,
    greedyMembers: stage.rl.greedyMember ? 1 : 0,
    ...(dynamic === undefined ? {} : { refill: { rounds: rounds.length, wanted: stage.rl.promptsPerStep } }),
  };
}
