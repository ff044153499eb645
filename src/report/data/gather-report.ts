import { parseRunConfig } from '../../config/load.ts';
import type { ArtifactStore } from '../../store/store.ts';
import { logger } from '../../util/logger.ts';
import { readMetrics } from '../../train/read-metrics.ts';
import { runRefs } from '../../train/run-refs.ts';
import { StoredRunConfig } from '../../train/stored-config.ts';
import { readHeldOutAnswers } from './held-out.ts';
import { LiveRunState, type ReportData, type TemporalWhere } from './report-data.ts';
import { buildEvalRows, buildStepRows, stepsFromRefs } from './step-rows.ts';
import { storedRunIds, UnknownRunError } from './stored-runs.ts';

const log = logger('report');

/** What the stored configuration says, or why it could not be read as one. */
function summariseConfig(record: StoredRunConfig): {
  modelName: string | null;
  totalSteps: number | null;
  temporal: TemporalWhere;
  error: string | null;
} {
  try {
    const { config } = parseRunConfig({ text: record.text, file: record.file });
    return {
      modelName: config.model.name,
      totalSteps: config.steps,
      temporal: { address: config.temporal.address ?? null, namespace: config.temporal.namespace ?? null },
      error: null,
    };
  } catch (err) {
    // A configuration written by an older version may not parse today; the report still shows it.
    return {
      modelName: null,
      totalSteps: null,
      temporal: { address: null, namespace: null },
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

/**
 * Everything a report of `trainRunId` shows, read from the store: the stored configuration, every
 * metrics record, which steps and evaluations left artifacts, and held-out answers of the first and
 * last evaluation. `live` asks the Temporal server for the run's state (undefined or null: not
 * known, the report then reads the store alone); `webUiUrl` links the run in the Web UI.
 * An id the store has no run for raises `UnknownRunError`, which lists the runs it has.
 */
export async function gatherReport(options: {
  store: ArtifactStore;
  trainRunId: string;
  live?: (where: TemporalWhere) => Promise<unknown>;
  webUiUrl?: (where: TemporalWhere) => string | undefined;
  now?: () => Date;
}): Promise<ReportData> {
  const { store, trainRunId } = options;
  const configAddress = await store.getRef(runRefs.config(trainRunId));
  if (configAddress === undefined) {
    throw new UnknownRunError({
      trainRunId,
      storeLocation: store.location,
      known: await storedRunIds(store),
    });
  }
  const stored = await store.getJson(configAddress, StoredRunConfig);
  const summary = summariseConfig(stored);
  let live: LiveRunState | null = null;
  if (options.live !== undefined) {
    const answer = await options.live(summary.temporal);
    if (answer !== undefined && answer !== null) live = LiveRunState.parse(answer);
  }
  log.debug({ trainRunId, live: live?.status ?? null }, 'gathering report');

  const records = await readMetrics({ store, trainRunId });
  const refNames = (await store.listRefs(runRefs.runPrefix(trainRunId))).map((r) => r.name);
  const prefix = runRefs.runPrefix(trainRunId);
  const steps = buildStepRows({
    records,
    started: stepsFromRefs({ names: refNames, prefix: `${prefix}steps/` }),
    totalSteps: summary.totalSteps ?? live?.totalSteps ?? null,
    live,
  });
  const evals = buildEvalRows({
    records,
    started: stepsFromRefs({ names: refNames, prefix: `${prefix}evals/` }),
  });
  const held = await readHeldOutAnswers({
    store,
    trainRunId,
    evalSteps: evals.filter((e) => e.state === 'done').map((e) => e.step),
  });
  return {
    header: {
      trainRunId,
      generatedAt: (options.now?.() ?? new Date()).toISOString(),
      configFile: stored.file,
      configText: stored.text,
      configAddress,
      configError: summary.error,
      modelName: summary.modelName,
      totalSteps: summary.totalSteps ?? live?.totalSteps ?? null,
      temporal: summary.temporal,
      webUiUrl: options.webUiUrl?.(summary.temporal) ?? null,
      live,
    },
    steps,
    evals,
    heldOut: held.prompts,
    heldOutNote: held.note,
  };
}
