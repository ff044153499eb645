import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { WORKER_ROLES } from '../../contracts/task-queues.ts';
import { workerSettings } from '../../../workers/env.ts';
import { runningRunsOnQueue, startTrainingRun, webUiUrl } from '../../client/run-client.ts';
import { type RunningWorkers, startWorkers } from '../../../workers/start-workers.ts';
import { DEFAULT_TIMING } from '../../contracts/timing.ts';
import { type PreparedRun, prepareRun } from '../../config/check.ts';
import { dataDir } from '../../config/data-dir.ts';
import { parseRunConfig, readRunConfigText } from '../../config/load.ts';
import { mostImproved, readEvalAnswers } from '../../report/data/held-out.ts';
import { openStore } from '../../store/open-store.ts';
import type { ArtifactStore } from '../../store/store.ts';
import { connectClient } from '../../temporal/connection.ts';
import { ensureServer } from '../../temporal/ensure-server.ts';
import { type LearningSummary, learningSummary } from '../../train/learning-summary.ts';
import type { MetricsRecord } from '../../train/metrics.ts';
import { readMetrics } from '../../train/read-metrics.ts';
import { newTrainRunId, planRun } from '../../client/run-plan.ts';
import { logSink } from '../../util/logger.ts';
import type { CliCommand } from '../command.ts';
import { formatMetric, numberFlag, out } from '../io.ts';
import { LiveLine } from '../progress-line.ts';
import { followRun } from './follow-run.ts';
import { printAnswerPair, printLearningSummary } from './learning-table.ts';
import { printSuiteTable } from './suite-table.ts';

const TrainOptions = z.object({
  config: z.string().min(1),
  detach: z.boolean().default(false),
  runId: z.string().optional(),
  judgeShards: z.string().optional(),
  heartbeatTimeout: z.string().optional(),
  verbose: z.boolean().default(false),
});

/** `ANCHORAGE_WORKERS=external`: workers run elsewhere, `anchorage train` starts none and follows the run. */
function externalWorkers(env: NodeJS.ProcessEnv): boolean {
  return env.ANCHORAGE_WORKERS === 'external';
}

export const trainCommand: CliCommand = {
  name: 'train',
  register(program: Command) {
    program
      .command('train')
      .description(
        'validate a run configuration, start a training run on Temporal (a local server and an in-process worker when none are given) and follow it step by step',
      )
      .requiredOption('--config <file>', 'run configuration (YAML)')
      .option('--detach', 'start the run and return; workers elsewhere run it (see workers/)')
      .option('--run-id <id>', 'training run id (default: <name>-<UTC time>-<4 hex>)')
      .option('--judge-shards <n>', 'judge activities per step (default: min(4, prompts per step))')
      .option(
        '--heartbeat-timeout <seconds>',
        `a worker silent this long is presumed dead and its activity goes to another (default ${DEFAULT_TIMING.heartbeatTimeoutSeconds})`,
      )
      .option(
        '--verbose',
        "print the in-process worker's log lines on the terminal (by default they go to <data dir>/logs/<train run id>.log, warnings also to the terminal)",
      )
      .action(async (raw: unknown) => {
        await runTrain(TrainOptions.parse(raw));
      });
  },
};

/**
 * Reads and validates the configuration completely (the run's plan included) before anything starts.
 * `text` replaces the file's text (relative paths still resolve against the file's folder).
 */
export function validateConfig(
  file: string,
  text: string = readRunConfigText(file),
): { text: string; prepared: PreparedRun } {
  const prepared = prepareRun({ loaded: parseRunConfig({ text, file }) });
  planRun({ prepared });
  return { text, prepared };
}

/** A followed run that ended: how, and its metrics records. */
export interface TrainOutcome {
  trainRunId: string;
  status: string;
  metrics: MetricsRecord[];
}

/**
 * Starts a run and, unless detached, follows it to its end with an in-process worker. `text` replaces
 * the configuration file's text. Undefined when detached or interrupted.
 */
export async function runTrain(
  options: z.input<typeof TrainOptions>,
  overrides: { text?: string } = {},
): Promise<TrainOutcome | undefined> {
  const env = process.env;
  const judgeShards =
    options.judgeShards === undefined
      ? undefined
      : numberFlag(options.judgeShards, '--judge-shards', { min: 1, integer: true });
  const heartbeatTimeoutSeconds =
    options.heartbeatTimeout === undefined
      ? undefined
      : numberFlag(options.heartbeatTimeout, '--heartbeat-timeout', { min: 1 });
  const { text, prepared } = validateConfig(options.config, overrides.text);
  const { config } = prepared.loaded;
  out(
    `configuration ${options.config}: ${config.steps} steps on ${config.model.name}, ` +
      `${prepared.training.get(prepared.loaded.stages[0]!.name)?.length ?? 0} training prompts, ${prepared.rubrics.size} rubrics`,
  );

  const server = await ensureServer({
    ...(config.temporal.address === undefined ? {} : { address: config.temporal.address }),
    ...(config.temporal.namespace === undefined ? {} : { namespace: config.temporal.namespace }),
    env,
    notify: (line) => out(line.replace(/^anchorage: /, '')),
  });
  const temporal = await connectClient({ address: server.address, namespace: server.namespace });
  // Ctrl-C stops following and shuts the in-process worker down; the run itself stays on the server.
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    out('interrupted: stopping the in-process worker (running activities get their shutdown grace time)');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const store = openStore(config.store);
  const trainRunId = options.runId ?? newTrainRunId({ name: config.name });
  const live = new LiveLine(process.stdout);
  let workers: RunningWorkers | undefined;
  try {
    if (!options.detach && !externalWorkers(env)) {
      const others = await runningRunsOnQueue({
        client: temporal.client,
        taskQueue: config.temporal.taskQueues.workflow,
      }).catch(() => []);
      if (others.length > 0) {
        out(
          `note: ${others.length === 1 ? 'a run is' : `${others.length} runs are`} still running on these task queues and this worker will work on ${others.length === 1 ? 'it' : 'them'} too: ${others.join(', ')} (\`anchorage stop <run>\` ends one after its current step)`,
        );
      }
      if (!options.verbose) {
        // The progress lines below stay readable: the worker's JSON lines go to a file.
        const file = logSink.toFile({
          file: join(dataDir({ env }), 'logs', `${trainRunId}.log`),
          terminalLevel: 'warn',
          beforeTerminal: () => live.clear(),
        });
        const shown = file.startsWith(process.cwd()) ? relative(process.cwd(), file) : file;
        out(`worker logs: ${shown} (warnings also here; --verbose prints them all)`);
      }
      const fromEnv = workerSettings(env);
      const settings = {
        ...fromEnv,
        address: server.address,
        namespace: server.namespace,
        // One policy serves every activity of this process in turn, so its sessions may use every
        // core (SmolLM2 rollouts and training steps ran 1.6-1.7x faster on 2 threads than on 1 here).
        engineThreads: fromEnv.engineThreads ?? availableParallelism(),
      };
      workers = await startWorkers({
        roles: WORKER_ROLES,
        settings,
        taskQueues: config.temporal.taskQueues,
        store,
      });
      out(`started an all-in-one worker in this process (store ${store.location})`);
      if (workers.metricsUrl !== undefined) out(`Prometheus metrics: ${workers.metricsUrl}`);
    }
    if (interrupted) return undefined;
    const run = await startTrainingRun({
      client: temporal.client,
      store,
      prepared,
      file: options.config,
      text,
      trainRunId,
      ...(judgeShards === undefined ? {} : { judgeShards }),
      ...(heartbeatTimeoutSeconds === undefined ? {} : { timing: { heartbeatTimeoutSeconds } }),
    });
    const ui = webUiUrl({
      address: server.address,
      namespace: server.namespace,
      workflowId: run.trainRunId,
      uiUrl: server.uiUrl,
    });
    out(`train run id: ${run.trainRunId}`);
    if (ui !== undefined) out(`Web UI: ${ui}`);
    if (options.detach === true) {
      out(
        `the run is on the server; workers on queues ${Object.values(config.temporal.taskQueues).join(', ')} run it ` +
          '(workers/README.md). Follow it with `anchorage status ' +
          `${run.trainRunId}\`.`,
      );
      return undefined;
    }
    if (workers === undefined)
      out(
        `following the run; workers on queues ${Object.values(config.temporal.taskQueues).join(', ')} run it`,
      );
    const result = await followRun({ client: temporal.client, run, interrupted: () => interrupted, live });
    if (result === undefined) return undefined;
    const metrics = await readMetrics({ store, trainRunId: run.trainRunId });
    printRewardTable({ lines: metrics, print: out });
    printSuiteTable({ lines: metrics, print: out });
    const summary = learningSummary(metrics);
    printLearningSummary({ summary, print: out });
    if (summary !== undefined) await printMostImproved({ store, trainRunId: run.trainRunId, summary });
    out(
      `run ${result.status}: ${result.completedSteps}/${run.input.totalSteps} steps, last checkpoint ${result.lastCheckpoint?.address ?? 'none'}`,
    );
    return { trainRunId: run.trainRunId, status: result.status, metrics };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await workers?.shutdown();
    logSink.restore();
    await temporal.close();
    if (server.started)
      out(
        `the Temporal server keeps running (pid ${server.pid}) with the Web UI; stop it with \`kill ${server.pid}\``,
      );
  }
}

// Scripts under exp/ import the reader from here; it lives in src/train/read-metrics.ts.
export { readMetrics };

/** The held-out answer that gained most between the first and last evaluation (none when unreadable). */
async function printMostImproved(options: {
  store: ArtifactStore;
  trainRunId: string;
  summary: LearningSummary;
}): Promise<void> {
  const { store, trainRunId, summary } = options;
  const [before, after] = await Promise.all(
    [summary.before.step, summary.after.step].map((step) => readEvalAnswers({ store, trainRunId, step })),
  );
  if (before === undefined || after === undefined) return;
  const prompt = mostImproved(before, after);
  if (prompt !== undefined) printAnswerPair({ prompt, print: out });
}

/** Reward per step (and per evaluation) as a small table. */
export function printRewardTable(options: {
  lines: readonly MetricsRecord[];
  print: (line: string) => void;
}): void {
  const { lines, print } = options;
  if (lines.length === 0) return;
  print('step  kind   mean reward  scored  loss        clip    KL        seconds');
  for (const r of lines) {
    const m = r.metrics;
    const prefix = r.purpose === 'eval' ? 'eval/' : '';
    const scored = m[`${prefix}reward/scored_fraction`];
    print(
      [
        String(r.step).padStart(4),
        r.purpose.padEnd(5),
        formatMetric(m[`${prefix}reward/mean`]).padStart(11),
        (scored === undefined ? 'n/a' : `${Math.round(scored * 100)}%`).padStart(6),
        formatMetric(m['loss/total'], 5).padStart(10),
        formatMetric(m['policy/clip_fraction'], 3).padStart(6),
        formatMetric(m['kl/ref'], 5).padStart(8),
        formatMetric(m[`${prefix}time/step_s`], 1).padStart(8),
      ].join('  '),
    );
  }
}
