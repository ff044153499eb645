import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import YAML from 'yaml';
import { prepareRun } from '../src/config/check.ts';
import { parseRunConfig } from '../src/config/load.ts';
import { TemporalSettings } from '../src/config/schema.ts';
import { WORKER_ROLES } from '../src/contracts/task-queues.ts';
import { runWorkflowIds } from '../src/contracts/workflow-ids.ts';
import { writeTinyModel } from '../src/engine/testing/tiny-model.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { startDevServer } from '../src/temporal/dev-server.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { tinyTaskQueues, writeTinyRun } from '../src/train/testing/tiny-run.ts';
import { workerSettings } from './env.ts';
import { eventMs, historyActivities } from '../src/client/history-activities.ts';
import { startTrainingRun } from '../src/client/run-client.ts';
import { startWorkers } from './start-workers.ts';

/** Where one step's time went, from the server's event times. */
export interface StepTiming {
  step: number;
  /** From the run's decision to start step n to its decision to start step n+1 (or to finish). */
  wallMs: number;
  /** Time inside the activities on the step's critical path (judge shards: the slowest). */
  insideMs: number;
  /** wall - inside: scheduling, workflow tasks, child workflow start, payload round trips. */
  overheadMs: number;
  /**
   * Per activity type (judge: the slowest shard), ms between its start and completion events; for a
   * local activity (no start event), the time it measured itself, if it reports one; the
   * bookkeeping activities report none, so their time counts as overhead.
   */
  activityMs: Record<string, number>;
  /** The same as the activities measured themselves (where they report it). */
  selfReportedMs: Record<string, number>;
}

export interface RunTimings {
  config: string;
  steps: StepTiming[];
  meanWallMs: number;
  meanOverheadMs: number;
  /** Whether the per-step overhead grows with the run's length. */
  trend: OverheadTrend;
}

export interface OrchestrationFigures {
  tiny: RunTimings;
  smollm2: RunTimings | undefined;
  /** Mean tiny-model overhead as a share of the last (warm) SmolLM2 step's wall time. */
  overheadShareOfSmollm2Step: number | undefined;
}

/** Step timings of a finished run from its histories. */
export async function stepTimings(options: {
  client: Client;
  trainRunId: string;
  firstRunId: string;
}): Promise<StepTiming[]> {
  const { client, trainRunId } = options;
  // The run's executions in order (continue-as-new), then step starts and the run's end.
  const starts = new Map<number, number>();
  let end = 0;
  let runId: string | undefined = options.firstRunId;
  while (runId !== undefined) {
    const history: History = await client.workflow.getHandle(trainRunId, runId).fetchHistory();
    runId = undefined;
    for (const e of history.events ?? []) {
      const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      const m = id === undefined || id === null ? null : /\/step-(\d+)$/.exec(id);
      if (m !== null && !starts.has(Number(m[1]))) starts.set(Number(m[1]), eventMs(e));
      if (e.workflowExecutionContinuedAsNewEventAttributes)
        runId = e.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId ?? undefined;
      end = Math.max(end, eventMs(e));
    }
  }
  const steps = [...starts.keys()].sort((a, b) => a - b);
  const out: StepTiming[] = [];
  for (const [i, step] of steps.entries()) {
    const wallMs = (starts.get(steps[i + 1]!) ?? end) - starts.get(step)!;
    const history = await client.workflow.getHandle(runWorkflowIds.step(trainRunId, step)).fetchHistory();
    const activityMs: Record<string, number> = {};
    const selfReportedMs: Record<string, number> = {};
    for (const a of historyActivities(history)) {
      if (a.outcome !== 'completed') continue;
      const result = a.result as Record<string, { ms?: number }> | undefined;
      const own = result?.stats?.ms ?? result?.summary?.ms;
      if (typeof own === 'number') selfReportedMs[a.name] = Math.max(selfReportedMs[a.name] ?? 0, own);
      const span = a.startedMs === null ? (own ?? 0) : a.closedMs! - a.startedMs;
      activityMs[a.name] = Math.max(activityMs[a.name] ?? 0, span);
    }
    const insideMs = Object.values(activityMs).reduce((a, b) => a + b, 0);
    out.push({ step, wallMs, insideMs, overheadMs: wallMs - insideMs, activityMs, selfReportedMs });
  }
  return out;
}

const mean = (xs: readonly number[]) =>
  xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Median overhead of the run's first and last quarter of steps (the first step left out: warm-up). */
export interface OverheadTrend {
  firstQuarterMs: number;
  lastQuarterMs: number;
  /** lastQuarterMs / firstQuarterMs: about 1 when no per-step cost grows with the run's length. */
  ratio: number;
}

/** Compares the overhead early and late in a run; needs at least 5 steps. */
export function overheadTrend(steps: readonly StepTiming[]): OverheadTrend {
  const warm = steps.slice(1).map((s) => s.overheadMs);
  if (warm.length < 4) return { firstQuarterMs: Number.NaN, lastQuarterMs: Number.NaN, ratio: Number.NaN };
  const quarter = Math.floor(warm.length / 4);
  const firstQuarterMs = median(warm.slice(0, quarter));
  const lastQuarterMs = median(warm.slice(-quarter));
  return { firstQuarterMs, lastQuarterMs, ratio: lastQuarterMs / firstQuarterMs };
}

/**
 * The orchestration benchmark: a run on the tiny model (engine time per step in the milliseconds,
 * so a step is almost all orchestration) on a fresh local dev server with an in-process worker,
 * then optionally a few steps of the quickstart configuration (SmolLM2-135M) for the step time the
 * overhead is compared with.
 */
export async function benchOrchestration(options: {
  steps: number;
  smollm2Steps: number;
  quickstart: string;
  env?: NodeJS.ProcessEnv;
  progress?: (line: string) => void;
}): Promise<OrchestrationFigures> {
  const env = options.env ?? process.env;
  const say = options.progress ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), 'anchorage-bench-orchestration-'));
  const server = await startDevServer({
    dbFile: join(dir, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: false,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const model = await writeTinyModel({ seed: 5 });
  try {
    const measure = async (name: string, file: string, text: string, storeDir: string) => {
      const prepared = prepareRun({ loaded: parseRunConfig({ text, file }) });
      const store = new LocalFolderStore({ root: storeDir });
      const workers = await startWorkers({
        roles: WORKER_ROLES,
        settings: { ...workerSettings(env), address: server.address, namespace: 'default', storeDir },
        taskQueues: prepared.loaded.config.temporal.taskQueues,
        store,
      });
      try {
        say(`${name}: ${prepared.loaded.config.steps} steps on ${prepared.loaded.config.model.name}`);
        const run = await startTrainingRun({ client, store, prepared, file, text });
        await run.handle.result();
        const steps = await stepTimings({
          client,
          trainRunId: run.trainRunId,
          firstRunId: run.handle.firstExecutionRunId,
        });
        return {
          config: name,
          steps,
          meanWallMs: mean(steps.map((s) => s.wallMs)),
          meanOverheadMs: mean(steps.map((s) => s.overheadMs)),
          trend: overheadTrend(steps),
        };
      } finally {
        await workers.shutdown();
      }
    };

    const tinyFile = await writeTinyRun({
      dir: join(dir, 'tiny'),
      queuePrefix: 'bench-tiny',
      modelPath: model.path,
      storeDir: join(dir, 'store-tiny'),
      steps: options.steps,
      // The run default, so that long benches include continue-as-new as real runs do.
      continueAsNewEvery: TemporalSettings.parse({}).continueAsNewEvery,
    });
    const tiny = await measure('tiny', tinyFile, await readFile(tinyFile, 'utf8'), join(dir, 'store-tiny'));

    let smollm2: RunTimings | undefined;
    if (options.smollm2Steps > 0) {
      // The quickstart as written, shortened, without evaluations, on its own queues and store.
      const doc = YAML.parse(await readFile(options.quickstart, 'utf8')) as Record<string, unknown>;
      doc.steps = options.smollm2Steps;
      doc.evaluation = { ...(doc.evaluation as object), every: 0 };
      doc.temporal = { ...(doc.temporal as object), taskQueues: tinyTaskQueues('bench-smollm2') };
      doc.store = { path: join(dir, 'store-smollm2') };
      smollm2 = await measure(
        'quickstart',
        options.quickstart,
        YAML.stringify(doc),
        join(dir, 'store-smollm2'),
      );
    }
    const warm = smollm2?.steps.at(-1)?.wallMs;
    return {
      tiny,
      smollm2,
      overheadShareOfSmollm2Step: warm === undefined ? undefined : tiny.meanOverheadMs / warm,
    };
  } finally {
    await connection.close();
    await server.stop();
    await model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
