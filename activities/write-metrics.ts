import { COMMIT_POINTS, commit } from '../src/step/commit.ts';
import { type MetricsRecord, stepMetrics } from '../src/train/metrics.ts';
import { countRefusals } from '../src/step/refusals.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import type { WriteMetricsInput, WriteMetricsOutput } from './types.ts';

/**
 * Records a step's metrics: one record per step, evaluation or selection, committed create-only (a
 * retry keeps the first, so no step ever has two). Nothing else is written: the cost is the same at
 * every step, and readers build the run's lines from the records (`readMetrics`). The attempt that
 * commits it reports the step (its wall time) to the worker's telemetry.
 */
export function writeMetricsActivity(deps: ActivityDeps) {
  return function writeMetrics(input: WriteMetricsInput): Promise<WriteMetricsOutput> {
    return asActivity(async () => {
      const { store } = deps;
      const metrics = stepMetrics({
        purpose: input.purpose,
        rollouts: input.rollouts,
        judge: input.judge,
        rewards: input.rewards,
        update: input.update,
        wallMs: input.wallMs,
        suites: input.suites,
        dynamicSampling: input.dynamicSampling,
        monitor: input.monitor,
        refusals: await countRefusals({
          store,
          trainRunId: input.trainRunId,
          step: input.step,
          purpose: input.purpose,
        }),
      });
      const record: MetricsRecord = {
        format: 'anchorage.metrics/1',
        trainRunId: input.trainRunId,
        step: input.step,
        purpose: input.purpose,
        stage: input.stage,
        at: input.at,
        metrics,
        ...(input.failures === undefined || input.failures.length === 0 ? {} : { failures: input.failures }),
      };
      const key = { trainRunId: input.trainRunId, step: input.step, purpose: input.purpose };
      const committed = await commit({ store, point: COMMIT_POINTS.metrics, key, record });
      // The step is done: once, by the attempt that committed its record.
      if (committed.created)
        deps.telemetry.step({ purpose: input.purpose, step: input.step, wallMs: input.wallMs });
      return { record: committed.address, metrics: committed.record.metrics };
    });
  };
}
