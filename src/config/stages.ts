import type { StageSpan } from '../contracts/steps.ts';
import type { RlSettings } from './rl.ts';
import type { AdvanceWhenSettings } from './stage-advance.ts';
import type { ParsedRunConfig, RubricRule } from './schema.ts';

/** One stage with the run's settings and the stage's overrides merged: what a workflow runs. */
export interface StagePlan extends StageSpan {
  name: string;
  /** Index of the stage in `stages` (0 when the run has none). */
  index: number;
  /** Training sources (by name). */
  sources: string[];
  rubrics: { instanceWeight: number; apply: RubricRule[] };
  rl: RlSettings;
  dataSelection: ParsedRunConfig['dataSelection'];
  /** End the stage before `steps` once a recorded metric reaches a threshold (absent: never). */
  advanceWhen?: AdvanceWhenSettings;
}

/**
 * The stages of a run in order, numbered as in src/contracts/steps.ts (as planned: a stage with
 * `advanceWhen` may end sooner, and the later ones begin sooner, src/contracts/stage-advance.ts). A run without `stages` has one stage, `main`, of `steps` steps over
 * every training source.
 */
export function stagePlan(options: { config: ParsedRunConfig; steps: number }): StagePlan[] {
  const { config, steps } = options;
  const trainSources = config.prompts.sources.filter((s) => s.role !== 'eval').map((s) => s.name ?? s.type);
  if (config.stages === undefined) {
    return [
      {
        name: 'main',
        index: 0,
        firstStep: 1,
        steps,
        sources: trainSources,
        rubrics: { instanceWeight: config.rubrics.instanceWeight, apply: config.rubrics.apply },
        rl: config.rl,
        dataSelection: config.dataSelection,
      },
    ];
  }
  let firstStep = 1;
  return config.stages.map((stage, index) => {
    const plan: StagePlan = {
      name: stage.name,
      index,
      firstStep,
      steps: stage.steps,
      sources: stage.sources ?? trainSources,
      rubrics: {
        instanceWeight: stage.rubrics?.instanceWeight ?? config.rubrics.instanceWeight,
        apply: stage.rubrics?.apply ?? config.rubrics.apply,
      },
      rl: { ...config.rl, ...stripUndefined(stage.rl ?? {}) },
      dataSelection: { ...config.dataSelection, ...stripUndefined(stage.dataSelection ?? {}) },
      ...(stage.advanceWhen === undefined ? {} : { advanceWhen: stage.advanceWhen }),
    };
    firstStep += stage.steps;
    return plan;
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
