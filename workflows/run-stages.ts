import {
  lastStep,
  type MetricSource,
  type StageAdvance,
  stageAdvance,
  stageSpans,
  watchedMetrics,
} from '../src/contracts/stage-advance.ts';
import { stageOfStep } from '../src/contracts/steps.ts';
import type {
  CarriedState,
  StageAdvanceInput,
  StageInfo,
  StageView,
} from '../src/contracts/workflow-types.ts';

/**
 * The training run's stages as they run (workflow state, no Temporal calls): planned, until a
 * stage's threshold (`advanceWhen`) ends it on metrics a step or an evaluation recorded and
 * answered (their workflow results, in the run's history); then the next stage begins at the step
 * after (src/contracts/stage-advance.ts). What changed is kept in `state` (`stageStarts`,
 * `stageAdvances`), carried across continue-as-new. A run without thresholds gives its children
 * the inputs it always gave them.
 */
export function runStages(options: {
  planned: readonly StageInfo[];
  state: Pick<CarriedState, 'stageStarts' | 'stageAdvances'>;
}) {
  const { planned, state } = options;
  const thresholds = planned.some((s) => s.advanceWhen !== undefined);
  let spans = stageSpans(planned, state.stageStarts ?? []);
  return {
    spans: (): readonly StageInfo[] => spans,
    /** The run's last step as its stages run now. */
    lastStep: () => lastStep(spans),
    /** What a step, evaluation or selection workflow of `step` is told: the stages begun, what to watch. */
    childInput(step: number, purpose: MetricSource | 'select'): StageAdvanceInput {
      if (!thresholds) return {};
      const stage = stageOfStep(spans, step);
      const watch = purpose === 'select' || stage === undefined ? [] : watchedMetrics(stage, purpose);
      return {
        ...(state.stageStarts === undefined ? {} : { stageStarts: state.stageStarts }),
        ...(watch.length === 0 ? {} : { watch }),
      };
    },
    /** Whether the metrics a step (or the evaluation after it) answered end its stage. */
    check(options: {
      step: number;
      source: MetricSource;
      metrics: Readonly<Record<string, number>> | undefined;
    }): StageAdvance | undefined {
      const stage = stageOfStep(spans, options.step);
      if (stage === undefined || options.metrics === undefined) return undefined;
      return stageAdvance({ stage, step: options.step, source: options.source, metrics: options.metrics });
    },
    /** Ends the stage after `advance.step`; answers the stage that begins next (none: the run ends). */
    advance(advance: StageAdvance): StageInfo | undefined {
      const starts = [...(state.stageStarts ?? [1]), advance.step + 1];
      spans = stageSpans(planned, starts);
      state.stageStarts = starts;
      state.stageAdvances = [...(state.stageAdvances ?? []), advance];
      return stageOfStep(spans, advance.step + 1);
    },
    /** The stages for the run's progress, when any has a threshold. */
    view(): { stages?: StageView[] } {
      if (!thresholds) return {};
      const advances = state.stageAdvances ?? [];
      return {
        stages: spans.map((s) => {
          const advanced = advances.find((a) => a.stage === s.name);
          return {
            name: s.name,
            firstStep: s.firstStep,
            steps: s.steps,
            ...(s.advanceWhen === undefined ? {} : { advanceWhen: s.advanceWhen }),
            ...(advanced === undefined ? {} : { advanced }),
          };
        }),
      };
    },
  };
}
