import type { StageSpan } from './steps.ts';

/**
 * Stages that end on a metric threshold (`stages[].advanceWhen`), the pure part: which stage each
 * step is in once some stages ended early, and whether a step's or an evaluation's recorded metrics
 * end the stage. The training workflow keeps the first step of every stage begun so far
 * (`stageStarts`, carried across continue-as-new) and passes it to the step, evaluation and
 * selection workflows, whose activities plan with the same spans; so replay, retries and restarts
 * see the same stages. Steps stay numbered 1, 2, ... across the run (src/contracts/steps.ts): a stage
 * that ends early at step k is followed by the next stage from step k + 1, and the run ends sooner.
 *
 * Workflow-safe: type imports only.
 */

/**
 * End the stage once `metric` reaches the threshold: `atLeast` (value >= atLeast) or `atMost`
 * (value <= atMost), judged on the metrics recorded after each of the stage's steps (training
 * metrics: `reward/mean`, `kl/ref`, ...) or after each of its evaluations (`eval/...`), from the
 * stage's `minSteps`-th step on. The stage's `steps` stays its longest length.
 */
export interface AdvanceWhen {
  metric: string;
  atLeast?: number;
  atMost?: number;
  /** Steps of the stage that must have run before the threshold counts (default 1). */
  minSteps?: number;
}

/** A stage ended by its threshold: which, after which step, on what value. */
export interface StageAdvance {
  stage: string;
  step: number;
  metric: string;
  value: number;
}

/** Where a threshold's metric is recorded: a training step's metrics or an evaluation's (`eval/`). */
export type MetricSource = 'train' | 'eval';

export function metricSource(metric: string): MetricSource {
  return metric.startsWith('eval/') ? 'eval' : 'train';
}

/** Whether `value` meets the threshold (a missing or non-finite value never does). */
export function thresholdMet(condition: AdvanceWhen, value: number | undefined): value is number {
  if (value === undefined || !Number.isFinite(value)) return false;
  if (condition.atLeast !== undefined && value < condition.atLeast) return false;
  if (condition.atMost !== undefined && value > condition.atMost) return false;
  return condition.atLeast !== undefined || condition.atMost !== undefined;
}

/** `eval/reward/mean 0.62 >= 0.6`: the comparison a threshold made. */
export function describeThreshold(condition: AdvanceWhen, value?: number): string {
  const shown = value === undefined ? condition.metric : `${condition.metric} ${round(value)}`;
  const parts = [
    ...(condition.atLeast === undefined ? [] : [`>= ${condition.atLeast}`]),
    ...(condition.atMost === undefined ? [] : [`<= ${condition.atMost}`]),
  ];
  return `${shown} ${parts.join(' and ')}`;
}

const round = (v: number) => Number(v.toPrecision(4));

/**
 * The stages as they run: stage i begins at `starts[i]` (the stages begun so far; `[1]` or empty:
 * none ended early) and a begun stage that another followed ends the step before; the others keep
 * their planned length and follow one another. One start more than there are stages means the last
 * stage ended early and the run with it. Each stage comes back with its span changed, nothing else.
 */
export function stageSpans<S extends StageSpan>(planned: readonly S[], starts: readonly number[]): S[] {
  const begun = starts.length === 0 ? [1] : starts;
  if (begun[0] !== 1) throw new Error(`the first stage begins at step 1, not ${begun[0]}`);
  if (begun.length > planned.length + 1) {
    throw new Error(`${begun.length} stage starts for ${planned.length} stages`);
  }
  const out: S[] = [];
  let next = 1;
  for (const [i, stage] of planned.entries()) {
    const firstStep = begun[i] ?? next;
    const end = begun[i + 1];
    const steps = end === undefined ? stage.steps : end - firstStep;
    if (steps < 1 || steps > stage.steps) {
      throw new Error(`stage ${i} would run ${steps} steps from step ${firstStep} (at most ${stage.steps})`);
    }
    out.push({ ...stage, firstStep, steps });
    next = firstStep + steps;
  }
  return out;
}

/** The run's last step once its stages run as `spans` (0 without stages). */
export function lastStep(spans: readonly StageSpan[]): number {
  const last = spans.at(-1);
  return last === undefined ? 0 : last.firstStep + last.steps - 1;
}

/**
 * Whether the metrics recorded after `step` (a training step's or the evaluation after it) end the
 * stage `step` is in: its threshold reads a metric of this source, the stage has run at least
 * `minSteps` steps, it has steps left, and the value meets the threshold. Returns what to record.
 */
export function stageAdvance(options: {
  stage: StageSpan & { name: string; advanceWhen?: AdvanceWhen | undefined };
  step: number;
  source: MetricSource;
  metrics: Readonly<Record<string, number>>;
}): StageAdvance | undefined {
  const { stage, step, source, metrics } = options;
  const condition = stage.advanceWhen;
  if (condition === undefined || metricSource(condition.metric) !== source) return undefined;
  if (step < stage.firstStep || step >= stage.firstStep + stage.steps - 1) return undefined;
  if (step - stage.firstStep + 1 < (condition.minSteps ?? 1)) return undefined;
  const value = metrics[condition.metric];
  if (!thresholdMet(condition, value)) return undefined;
  return { stage: stage.name, step, metric: condition.metric, value };
}

/** The metrics of `source` that the stage's threshold reads (what a child workflow answers). */
export function watchedMetrics(
  stage: { advanceWhen?: AdvanceWhen | undefined },
  source: MetricSource,
): string[] {
  const condition = stage.advanceWhen;
  return condition === undefined || metricSource(condition.metric) !== source ? [] : [condition.metric];
}

/** The values of `names` among recorded metrics (absent ones left out, never 0). */
export function pickMetrics(
  metrics: Readonly<Record<string, number>>,
  names: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of names) {
    const v = metrics[name];
    if (v !== undefined && Number.isFinite(v)) out[name] = v;
  }
  return out;
}
