import { z } from 'zod';
import { metricSource } from '../contracts/stage-advance.ts';

/**
 * `stages[].advanceWhen`: end a stage before its `steps` once a recorded metric reaches a threshold
 * (the pure rules: src/contracts/stage-advance.ts). Checked here against what the run can record:
 * the metric's shape, its area, and for `eval/` metrics that the run evaluates during the stage.
 */

/** Areas of a training step's metrics (src/train/metrics.ts `stepMetrics`, the update's keys). */
export const TRAIN_METRIC_AREAS = [
  'reward',
  'advantage',
  'dynamic_sampling',
  'rollout',
  'judge',
  'kl',
  'loss',
  'policy',
  'grad',
  'optim',
  'time',
] as const;
/** Areas of an evaluation's own metrics under `eval/` (its suites add `eval/<suite>/<key>`). */
export const EVAL_METRIC_AREAS = ['reward', 'rollout', 'judge', 'time'] as const;

const MetricName = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.:-]+)+$/,
    'a metric name: slash-separated parts, e.g. reward/mean or eval/reward/mean',
  );

export const AdvanceWhenSettings = z
  .strictObject({
    /** A training metric (`reward/mean`, `kl/ref`, ...) or an evaluation's (`eval/reward/mean`, `eval/ifeval/promptLoose`). */
    metric: MetricName,
    /** The stage ends once the metric is at least this... */
    atLeast: z.number().finite().optional(),
    /** ...or at most this. */
    atMost: z.number().finite().optional(),
    /** Steps of the stage that must have run before the threshold counts. */
    minSteps: z.number().int().positive().default(1),
  })
  .refine((c) => c.atLeast !== undefined || c.atMost !== undefined, {
    message: 'a threshold: atLeast or atMost',
    path: ['atLeast'],
  })
  .refine((c) => c.atLeast === undefined || c.atMost === undefined || c.atLeast <= c.atMost, {
    message: 'atLeast at most atMost (the band would be empty)',
    path: ['atMost'],
  });
export type AdvanceWhenSettings = z.infer<typeof AdvanceWhenSettings>;

/** What the run records, as far as a threshold needs to know. */
interface RecordedMetrics {
  evaluationEvery: number;
  suites: readonly string[];
}

/**
 * Why a stage's threshold can never be met (an unknown metric area, an evaluation metric of a run
 * that does not evaluate during the stage, a suite it does not run), with the field at fault under
 * `advanceWhen`; undefined when it can.
 */
export function advanceWhenProblem(options: {
  advanceWhen: AdvanceWhenSettings;
  stageSteps: number;
  recorded: RecordedMetrics;
}): { field: 'metric' | 'minSteps'; message: string } | undefined {
  const { advanceWhen, stageSteps, recorded } = options;
  const { metric } = advanceWhen;
  if (advanceWhen.minSteps >= stageSteps) {
    return {
      field: 'minSteps',
      message: `fewer than the stage's ${stageSteps} steps (the threshold could never end it early)`,
    };
  }
  const parts = metric.split('/');
  if (metricSource(metric) === 'train') {
    const area = parts[0]!;
    if (parts[0] === 'select') {
      return {
        field: 'metric',
        message: 'a training or evaluation metric (a data selection runs before its stage)',
      };
    }
    if (!(TRAIN_METRIC_AREAS as readonly string[]).includes(area)) {
      return {
        field: 'metric',
        message: `a training metric in one of ${TRAIN_METRIC_AREAS.map((a) => `${a}/`).join(', ')}, or an evaluation metric under eval/ (got '${metric}')`,
      };
    }
    return undefined;
  }
  if (recorded.evaluationEvery === 0) {
    return {
      field: 'metric',
      message: `a training metric: '${metric}' is an evaluation's, and the run does not evaluate (evaluation.every is 0)`,
    };
  }
  if (recorded.evaluationEvery > stageSteps) {
    return {
      field: 'metric',
      message: `a training metric, or evaluation.every at most the stage's ${stageSteps} steps: '${metric}' is recorded every ${recorded.evaluationEvery} steps`,
    };
  }
  const area = parts[1]!;
  if (parts.length < 3) {
    return { field: 'metric', message: `an evaluation metric such as eval/reward/mean (got '${metric}')` };
  }
  if ((EVAL_METRIC_AREAS as readonly string[]).includes(area)) return undefined;
  if (recorded.suites.includes(area) && parts.length >= 3) return undefined;
  const known = [
    ...EVAL_METRIC_AREAS.map((a) => `eval/${a}/`),
    ...recorded.suites.map((s) => `eval/${s}/<key>`),
  ];
  const unknownSuite = parts.length >= 3 && !recorded.suites.includes(area);
  return {
    field: 'metric',
    message: `an evaluation metric: one of ${known.join(', ')} (got '${metric}'${unknownSuite ? `; no suite '${area}' in evaluation.suites` : ''})`,
  };
}
