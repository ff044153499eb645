import { relative } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { queryProgress, runHandle, webUiUrl } from '../../client/run-client.ts';
import { dataDir } from '../../config/data-dir.ts';
import { storeLocationFor } from '../../config/store-env.ts';
import { gatherReport } from '../../report/data/gather-report.ts';
import type { LiveRunState, TemporalWhere } from '../../report/data/report-data.ts';
import { defaultReportPath, writeReport } from '../../report/write-report.ts';
import { openStore } from '../../store/open-store.ts';
import { temporalAddress, temporalNamespace } from '../../temporal/address.ts';
import { connectClient, probeServer } from '../../temporal/connection.ts';
import { logger } from '../../util/logger.ts';
import type { CliCommand } from '../command.ts';
import { out } from '../io.ts';

const ReportOptions = z.object({
  out: z.string().min(1).optional(),
  store: z.string().min(1).optional(),
  temporal: z.boolean().default(true),
});

const log = logger('cli.report');

function resolveWhere(where: TemporalWhere, env: NodeJS.ProcessEnv): { address: string; namespace: string } {
  return {
    address: where.address ?? temporalAddress(env),
    namespace: where.namespace ?? temporalNamespace(env),
  };
}

/**
 * The run's state from the Temporal server: the progress query while it runs (a failed step waits
 * there with its failure), the result once it completed, the execution status otherwise. Null when
 * no server answers within a second or it does not know the run: the report then reads the store only.
 */
async function liveState(options: {
  trainRunId: string;
  where: { address: string; namespace: string };
}): Promise<LiveRunState | null> {
  const { trainRunId, where } = options;
  if (!(await probeServer({ address: where.address, timeoutMs: 1_000 }))) return null;
  const temporal = await connectClient({ ...where, timeoutMs: 2_000 });
  try {
    const handle = runHandle(temporal.client, trainRunId);
    const described = await handle.describe();
    const status = described.status.name;
    if (status === 'RUNNING') {
      try {
        const p = await temporal.connection.withDeadline(Date.now() + 5_000, () =>
          queryProgress(temporal.client, trainRunId),
        );
        return {
          status: p.status,
          totalSteps: p.totalSteps,
          completedSteps: p.completedSteps,
          currentStep: p.currentStep,
          failure: p.failure,
        };
      } catch (err) {
        // No worker answered the query: the run is on the server, its step states are unknown.
        log.debug({ err, trainRunId }, 'progress query unanswered');
        return {
          status: 'running',
          totalSteps: null,
          completedSteps: null,
          currentStep: null,
          failure: null,
        };
      }
    }
    if (status === 'COMPLETED') {
      const result = await handle.result();
      return {
        status: result.status,
        totalSteps: null,
        completedSteps: result.completedSteps,
        currentStep: null,
        failure: null,
      };
    }
    return {
      status: status.toLowerCase(),
      totalSteps: null,
      completedSteps: null,
      currentStep: null,
      failure: null,
    };
  } catch (err) {
    log.debug({ err, trainRunId }, 'the Temporal server does not know the run');
    return null;
  } finally {
    await temporal.close();
  }
}

/** `anchorage report <trainRunId>`: one self-contained HTML file with the run's plots and answers. */
export const reportCommand: CliCommand = {
  name: 'report',
  register(program: Command) {
    program
      .command('report <trainRunId>')
      .description(
        "write a training run's report as one HTML file that opens offline: reward, per-criterion pass rates, KL, loss, entropy, clip fraction, lengths and phase times per step, evaluations over checkpoints, held-out answers before and after, and the configuration",
      )
      .option('--out <file>', 'where to write it (default: <data dir>/reports/<trainRunId>.html)')
      .option(
        '--store <dir|url>',
        'artifact store with the run, a folder or s3://<bucket>/<prefix> (default: ANCHORAGE_STORE_URL, else ANCHORAGE_STORE_DIR or <data dir>/store)',
      )
      .option('--no-temporal', 'do not ask the Temporal server for the run state (read the store only)')
      .action(async (trainRunId: string, raw: unknown) => {
        const options = ReportOptions.parse(raw);
        const env = process.env;
        const store = openStore(storeLocationFor({ flag: options.store, env }));
        const data = await gatherReport({
          store,
          trainRunId,
          ...(options.temporal
            ? { live: (where: TemporalWhere) => liveState({ trainRunId, where: resolveWhere(where, env) }) }
            : {}),
          webUiUrl: (where) => webUiUrl({ ...resolveWhere(where, env), workflowId: trainRunId, env }),
        });
        const path = options.out ?? defaultReportPath({ dataDir: dataDir({ env }), trainRunId });
        await writeReport({ data, path });
        out(path.startsWith(process.cwd()) ? relative(process.cwd(), path) : path);
      });
  },
};
