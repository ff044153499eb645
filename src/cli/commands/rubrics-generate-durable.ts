import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { workerSettings } from '../../../workers/env.ts';
import { type RunningWorkers, startWorkers } from '../../../workers/start-workers.ts';
import {
  queryGenerationProgress,
  type RubricGenerationRequest,
  startRubricGeneration,
} from '../../client/rubric-generation-client.ts';
import { webUiUrl } from '../../client/run-client.ts';
import { dataDir } from '../../config/data-dir.ts';
import { describeSpend } from '../../contracts/judge-budget.ts';
import type { RubricGenerationResult } from '../../contracts/rubric-generation.ts';
import { openStore } from '../../store/open-store.ts';
import { connectClient } from '../../temporal/connection.ts';
import { ensureServer } from '../../temporal/ensure-server.ts';
import { logSink } from '../../util/logger.ts';
import { out } from '../io.ts';
import { bar, LiveLine } from '../progress-line.ts';

/**
 * `anchorage rubrics generate --durable`: the generation as a workflow on Temporal
 * (workflows/rubric-generation.ts) instead of in this process. The server is TEMPORAL_ADDRESS, or a
 * local dev server started as `anchorage train` starts one; the store and task queues are the
 * workers' (workers/env.ts: ANCHORAGE_STORE_DIR / ANCHORAGE_STORE_URL, ANCHORAGE_TASK_QUEUE_*). An
 * orchestrator and a judge worker run in this process unless ANCHORAGE_WORKERS=external. Running the
 * command again for the same --out (or --run-id) follows the generation already running, or runs a
 * finished one again, which skips what is written.
 */
export async function generateDurable(
  options: Omit<RubricGenerationRequest, 'taskQueues' | 'timing' | 'shardsPerRun'>,
): Promise<RubricGenerationResult | undefined> {
  const env = process.env;
  const settings = workerSettings(env);
  mkdirSync(options.outDir, { recursive: true });
  const server = await ensureServer({ env, notify: (line) => out(line.replace(/^anchorage: /, '')) });
  const temporal = await connectClient({ address: server.address, namespace: server.namespace });
  const store = openStore(settings.store);
  const live = new LiveLine(process.stdout);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  let workers: RunningWorkers | undefined;
  try {
    if (env.ANCHORAGE_WORKERS !== 'external') {
      const file = logSink.toFile({
        file: join(dataDir({ env }), 'logs', 'rubric-generation.log'),
        terminalLevel: 'warn',
        beforeTerminal: () => live.clear(),
      });
      out(`worker logs: ${file.startsWith(process.cwd()) ? relative(process.cwd(), file) : file}`);
      workers = await startWorkers({
        roles: ['orchestrator', 'judge'],
        settings: { ...settings, address: server.address, namespace: server.namespace },
        store,
      });
    }
    const started = await startRubricGeneration({
      ...options,
      client: temporal.client,
      store,
      taskQueues: settings.taskQueues,
    });
    const { generationId, input } = started;
    if (started.attached) {
      out(`following generation ${generationId}, already running`);
      if (started.otherPrompts)
        out('note: it was started with other prompts; its own go on (rerun once it ends for these)');
    } else {
      const shards = Math.ceil(input.job.prompts.count / input.shardSize);
      out(
        `generation ${generationId}: ${input.job.prompts.count} prompts in ${shards} shards of ${input.shardSize}, ${Math.min(input.parallelShards, shards)} at once` +
          (input.requestsPerSecond === null ? '' : `, ${input.requestsPerSecond} requests/s in all`),
      );
    }
    const ui = webUiUrl({
      address: server.address,
      namespace: server.namespace,
      workflowId: generationId,
      uiUrl: server.uiUrl,
    });
    if (ui !== undefined) out(`Web UI: ${ui}`);
    const result = started.handle.result();
    let settled = false;
    result.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    while (!settled && !interrupted) {
      await new Promise((r) => setTimeout(r, 1000));
      const progress = await temporal.client.connection
        .withDeadline(Date.now() + 3_000, () => queryGenerationProgress(temporal.client, generationId))
        .catch(() => undefined);
      if (progress === undefined || settled) continue;
      const fraction = progress.shards === 0 ? 1 : progress.shardsDone / progress.shards;
      const spend =
        progress.budget === null
          ? ''
          : `; ${describeSpend({ budget: progress.budget, used: progress.used })}`;
      const counts = `${progress.generated} generated, ${progress.skipped} skipped, ${progress.rejected} rejected, ${progress.failed} failed${spend}`;
      live.show(
        `${bar(fraction, 20)} shards ${progress.shardsDone}/${progress.shards} (${progress.shardsRunning} running)  ${counts}`,
        `shards ${progress.shardsDone}/${progress.shards}: ${counts}`,
      );
    }
    live.end();
    if (interrupted) {
      out(
        `stopped following; generation ${generationId} stays on the server (rerun the command to continue it)`,
      );
      return undefined;
    }
    return await result;
  } finally {
    process.off('SIGINT', onSignal);
    await workers?.shutdown();
    logSink.restore();
    await temporal.close();
    if (server.started)
      out(`the Temporal server keeps running (pid ${server.pid}); stop it with \`kill ${server.pid}\``);
  }
}
