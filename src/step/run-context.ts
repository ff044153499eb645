import type { PreparedRun } from '../config/check.ts';
import type { RunConfig } from '../config/load.ts';
import type { FinetuneSettings } from '../config/finetune.ts';
import type { WeightedRubric } from '../config/rubric-rules.ts';
import type { StagePlan } from '../config/stages.ts';
import { stageSpans } from '../contracts/stage-advance.ts';
import { stageOfStep } from '../contracts/steps.ts';
import type { LocatedPrompt } from '../data/prompt-record.ts';
import type { LoraConfig } from '../models/llama/lora.ts';
import type { JudgeConfig } from '../rubric/judge/config.ts';
import { type JudgeLimits, limitJudgeConfig } from '../rubric/judge/limits.ts';
import { createJudge } from '../rubric/judge/llm-judge.ts';
import type { MeteredRubricJudge } from '../rubric/judge/types.ts';
import type { ArtifactStore } from '../store/store.ts';
import { loadStoredRun } from '../train/stored-config.ts';
import { ValidationError } from '../util/errors.ts';

/** A run's configuration as activities use it, rebuilt from the store once per worker process. */
export interface RunContext {
  address: string;
  prepared: PreparedRun;
  config: RunConfig;
  /** The run's LoRA settings as the policy takes them (validated with the configuration). */
  lora: LoraConfig;
  /** What the run trains: LoRA adapters or every weight (`finetune.mode`). */
  finetune: FinetuneSettings['mode'];
  /**
   * The stage step `step` belongs to (numbering: src/contracts/steps.ts; step 0 is in the first
   * stage), as the stages run: planned, or as `withStageStarts` says when some ended early.
   */
  stageForStep(step: number): StagePlan;
  /** This run with its stages begun at `starts` (src/contracts/stage-advance.ts `stageSpans`). */
  withStageStarts(starts: readonly number[]): RunContext;
  /** The training prompts of a stage, with their rubrics. */
  trainingPrompts(stage: StagePlan): Array<{ prompt: LocatedPrompt; rubrics: WeightedRubric[] }>;
  evaluationPrompts(): Array<{ prompt: LocatedPrompt; rubrics: WeightedRubric[] }>;
  /** How a rubric is named in metrics: instance rubrics pool under `instance`. */
  rubricKey(rubricId: string): string;
  /**
   * A fresh judge for one activity (its counters are that activity's), or undefined without one.
   * `limits` tighten the judge config's own (the lower of the two holds).
   */
  createJudge(limits?: JudgeLimits): MeteredRubricJudge | undefined;
}

/**
 * Loads a run by configuration address; `stageStarts` (the first step of each stage begun, from the
 * workflow's input) when some stage ended early on its threshold (`stages[].advanceWhen`).
 */
export type RunLoader = (address: string, stageStarts?: readonly number[]) => Promise<RunContext>;

/** Makes the LLM judge a run's configuration names (the API key comes from the environment). */
export type JudgeFactory = (config: JudgeConfig) => MeteredRubricJudge;

/** The judge over an OpenAI-compatible endpoint, with its verdict cache (src/rubric/judge). */
export const defaultJudgeFactory =
  (env?: NodeJS.ProcessEnv): JudgeFactory =>
  (config) =>
    createJudge(config, env === undefined ? {} : { env });

/** Loads run contexts by configuration address, keeping the last few (a worker serves few runs at once). */
export function createRunLoader(options: {
  store: ArtifactStore;
  env?: NodeJS.ProcessEnv;
  judge?: JudgeFactory;
  keep?: number;
}): RunLoader {
  const { store, keep = 8 } = options;
  const judge = options.judge ?? defaultJudgeFactory(options.env);
  const cache = new Map<string, Promise<RunContext>>();
  const load = (address: string): Promise<RunContext> => {
    const hit = cache.get(address);
    if (hit !== undefined) {
      // Most recently used last.
      cache.delete(address);
      cache.set(address, hit);
      return hit;
    }
    const loading = loadStoredRun({
      store,
      address,
      ...(options.env === undefined ? {} : { env: options.env }),
    }).then((prepared) => runContext({ address, prepared, judge }));
    loading.catch(() => cache.delete(address));
    cache.set(address, loading);
    while (cache.size > keep) cache.delete(cache.keys().next().value as string);
    return loading;
  };
  return (address, stageStarts) =>
    stageStarts === undefined || stageStarts.length <= 1
      ? load(address)
      : load(address).then((run) => run.withStageStarts(stageStarts));
}

export function runContext(options: {
  address: string;
  prepared: PreparedRun;
  judge: JudgeFactory;
  /** The first step of each stage begun (absent: the planned stages). */
  stageStarts?: readonly number[];
}): RunContext {
  const { address, prepared } = options;
  const { config } = prepared.loaded;
  const stages =
    options.stageStarts === undefined
      ? prepared.loaded.stages
      : stageSpans(prepared.loaded.stages, options.stageStarts);
  return {
    address,
    prepared,
    config,
    lora: { rank: config.lora.rank, alpha: config.lora.alpha, targets: config.lora.targets },
    finetune: config.finetune.mode,
    stageForStep(step) {
      const stage = stageOfStep(stages, step);
      if (stage === undefined) {
        throw new ValidationError(`step ${step} is outside the run's ${config.steps} steps`);
      }
      return stage;
    },
    withStageStarts(starts) {
      return runContext({ ...options, stageStarts: starts });
    },
    trainingPrompts(stage) {
      const list = prepared.training.get(stage.name);
      if (list === undefined) throw new ValidationError(`the run has no stage '${stage.name}'`);
      return list;
    },
    evaluationPrompts() {
      return prepared.evaluation;
    },
    rubricKey(rubricId) {
      return prepared.rubrics.get(rubricId)?.scope === 'instance' ? 'instance' : rubricId;
    },
    createJudge(limits) {
      if (prepared.judge === undefined) return undefined;
      return options.judge(
        limits === undefined ? prepared.judge : limitJudgeConfig({ config: prepared.judge, limits }),
      );
    },
  };
}
