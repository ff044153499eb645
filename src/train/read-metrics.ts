import type { ArtifactStore } from '../store/store.ts';
import { MetricsRecord } from './metrics.ts';
import { runRefs } from './run-refs.ts';

/**
 * A run's metrics records, built when read from its per-step records (`runs/<id>/metrics/*`,
 * committed create-only by the writeMetrics activity, so a retried step never adds a second one):
 * step order, each step's training record first, then the evaluation or selection at that step.
 * Writing a step costs the same at step 1 and step 1,000; reading costs one small object per record.
 * Empty when the run wrote none yet.
 */
export async function readMetrics(options: {
  store: ArtifactStore;
  trainRunId: string;
}): Promise<MetricsRecord[]> {
  const { store } = options;
  const refs = await store.listRefs(runRefs.metricsPrefix(options.trainRunId));
  const records = await Promise.all(refs.map((r) => store.getJson(r.address, MetricsRecord)));
  return records.sort(metricsOrder);
}

/** The order of a run's metrics lines (stable: ties keep the store's listing order). */
export function metricsOrder(a: MetricsRecord, b: MetricsRecord): number {
  return a.step - b.step || (a.purpose === b.purpose ? 0 : a.purpose === 'train' ? -1 : 1);
}
