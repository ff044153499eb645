import type { ArtifactStore } from '../store/store.ts';
import { MetricsRecord } from './metrics.ts';
import { runRefs } from './run-refs.ts';

/**
 * A run's metrics records from its metrics file (`runs/<id>/metrics.jsonl`), in the file's order:
 * step order, each evaluation after the step it follows. Empty when the run wrote none yet.
 */
export async function readMetrics(options: {
  store: ArtifactStore;
  trainRunId: string;
}): Promise<MetricsRecord[]> {
  const address = await options.store.getRef(runRefs.metricsFile(options.trainRunId));
  if (address === undefined) return [];
  const text = Buffer.from(await options.store.getBytes(address)).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => MetricsRecord.parse(JSON.parse(l)));
}
