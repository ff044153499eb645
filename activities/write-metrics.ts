import { commitOnce } from '../src/train/commit-once.ts';
import { MetricsRecord, stepMetrics } from '../src/train/metrics.ts';
import { runRefs } from '../src/train/run-refs.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import type { WriteMetricsInput, WriteMetricsOutput } from './types.ts';

/**
 * Records a step's metrics: one record per step (create-only: a retry keeps the first), then the
 * run's metrics file `runs/<id>/metrics.jsonl` rebuilt from every record, one JSON line each in
 * step order (evaluations after the step they follow).
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
      const ref = runRefs.metrics({ trainRunId: input.trainRunId, step: input.step, purpose: input.purpose });
      const committed = await commitOnce({ store, ref, address: (await store.putJson(record)).address });
      const file = await rebuildMetricsFile({ deps, trainRunId: input.trainRunId });
      const kept = committed.created ? record : await store.getJson(committed.address, MetricsRecord);
      return { record: committed.address, file, metrics: kept.metrics };
    });
  };
}

async function rebuildMetricsFile(options: { deps: ActivityDeps; trainRunId: string }): Promise<string> {
  const { store } = options.deps;
  const refs = await store.listRefs(runRefs.metricsPrefix(options.trainRunId));
  const records = await Promise.all(refs.map((r) => store.getJson(r.address, MetricsRecord)));
  records.sort((a, b) => a.step - b.step || (a.purpose === b.purpose ? 0 : a.purpose === 'train' ? -1 : 1));
  const text = records.map((r) => JSON.stringify(r)).join('\n');
  const { address } = await store.putBytes(Buffer.from(text === '' ? '' : `${text}\n`, 'utf8'));
  await store.setRef(runRefs.metricsFile(options.trainRunId), address, { mode: 'overwrite' });
  return address;
}
