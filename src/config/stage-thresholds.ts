import { metricSource } from '../contracts/stage-advance.ts';
import { ValidationError } from '../util/errors.ts';
import type { PreparedRun } from './check.ts';

/**
 * The thresholds checked against the prepared run (before it starts): a rubric's or a criterion's
 * mean (`reward/rubric/<key>/mean`, `reward/criterion/<id>/mean`, under `eval/` for evaluations)
 * must be one the stage's prompts (or the evaluation prompts) are scored on, with instance rubrics
 * pooled under `instance` as the metrics pool them; `dynamic_sampling/*` needs the stage's
 * `rl.dynamicSampling`. Throws a ValidationError naming the field.
 */
export function checkStageThresholds(prepared: PreparedRun): void {
  const { loaded } = prepared;
  for (const stage of loaded.stages) {
    const condition = stage.advanceWhen;
    if (condition === undefined) continue;
    const location = loaded.where(['stages', stage.index, 'advanceWhen', 'metric']);
    const evaluation = metricSource(condition.metric) === 'eval';
    const local = evaluation ? condition.metric.slice('eval/'.length) : condition.metric;
    const entries = evaluation ? prepared.evaluation : (prepared.training.get(stage.name) ?? []);
    const rubricIds = new Set(entries.flatMap((e) => e.rubrics.map((r) => r.rubricId)));
    const scope = evaluation ? 'the evaluation prompts' : `stage '${stage.name}'s prompts`;
    const rubric = /^reward\/rubric\/(.+)\/mean$/.exec(local)?.[1];
    if (rubric !== undefined) {
      const keys = new Set(
        [...rubricIds].map((id) => (prepared.rubrics.get(id)?.scope === 'instance' ? 'instance' : id)),
      );
      if (!keys.has(rubric)) {
        throw new ValidationError(
          `a rubric ${scope} are scored on: one of ${[...keys].sort().join(', ')} (got '${rubric}')`,
          { location },
        );
      }
    }
    const criterion = /^reward\/criterion\/(.+)\/mean$/.exec(local)?.[1];
    if (criterion !== undefined) {
      const ids = new Set(
        [...rubricIds].flatMap((id) => prepared.rubrics.get(id)?.criteria.map((c) => c.id) ?? []),
      );
      if (!ids.has(criterion)) {
        throw new ValidationError(`a criterion of the rubrics ${scope} are scored on (got '${criterion}')`, {
          location,
        });
      }
    }
    if (!evaluation && local.startsWith('dynamic_sampling/') && stage.rl.dynamicSampling === undefined) {
      throw new ValidationError(
        `a metric stage '${stage.name}' records: '${condition.metric}' needs rl.dynamicSampling in the stage`,
        { location },
      );
    }
  }
}
