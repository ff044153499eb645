import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, createActivityDeps } from '../activities/index.ts';
import type { PolicyProvider } from '../src/step/policy-pool.ts';
import { openStore } from '../src/store/open-store.ts';
import type { ArtifactStore } from '../src/store/store.ts';
import { TransportError } from '../src/util/errors.ts';
import { logger } from '../src/util/logger.ts';
import { queueOf, type TaskQueues, type WorkerRole } from '../src/contracts/task-queues.ts';
import { workflowBundle } from './bundle.ts';
import { checkStore } from './check-store.ts';
import { cleanStoreTemp } from './clean-store-temp.ts';
import { createWorkers } from './create-workers.ts';
import type { WorkerSettings } from './env.ts';
import { installTemporalLogging } from './logging.ts';
import { acquireMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint.ts';

/** Workers started in this process. */
export interface RunningWorkers {
  workers: Worker[];
  roles: readonly WorkerRole[];
  /** Where the process's Prometheus metrics are served (settings.metrics), if anywhere. */
  metricsUrl: string | undefined;
  /** Resolves when every worker has stopped and the engine and connection are closed. */
  done: Promise<void>;
  /** Asks every worker to stop (running activities get the grace time) and waits for `done`. */
  shutdown(): Promise<void>;
}

/**
 * Connects to the server, retrying while it does not answer (a worker may start before its server,
 * or while it restarts), for up to `timeoutMs`.
 */
export async function connectWorker(options: {
  address: string;
  timeoutMs?: number;
  log?: Logger;
}): Promise<NativeConnection> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect({ address: options.address });
    } catch (err) {
      if (Date.now() > deadline) {
        throw new TransportError(
          `no Temporal server answered at ${options.address}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      if (attempt === 1) options.log?.warn({ address: options.address }, 'waiting for the Temporal server');
      await sleep(Math.min(5_000, 250 * attempt));
    }
  }
}

/**
 * Starts workers for `roles` in this process: the metrics endpoint when the settings ask for one
 * (shared by every group of workers in the process; workers/metrics-endpoint.ts), the Temporal
 * runtime's logger bridged to pino, a native connection, the artifact store (ANCHORAGE_STORE_URL's
 * bucket, checked for conditional writes, or the local folder, its temporary files left by killed
 * writers removed), the engine pool, the activities and one worker per task queue.
 */
export async function startWorkers(options: {
  roles: readonly WorkerRole[];
  settings: WorkerSettings;
  /** Overrides the settings' queues (an in-process worker follows its run's configuration). */
  taskQueues?: TaskQueues;
  store?: ArtifactStore;
  policies?: PolicyProvider;
  identity?: string;
  log?: Logger;
}): Promise<RunningWorkers> {
  const { settings } = options;
  const roles = [...new Set(options.roles)];
  const log = options.log ?? logger('worker');
  // First: the endpoint installs the Temporal runtime with its metrics exporter.
  const metrics =
    settings.metrics === undefined ? undefined : await acquireMetricsEndpoint({ ...settings.metrics, log });
  installTemporalLogging();
  try {
    return await startWithMetrics({ ...options, roles, log, metrics });
  } catch (err) {
    await metrics?.release();
    throw err;
  }
}

async function startWithMetrics(
  options: Parameters<typeof startWorkers>[0] & {
    roles: WorkerRole[];
    log: Logger;
    metrics: MetricsEndpoint | undefined;
  },
): Promise<RunningWorkers> {
  const { settings, roles, log, metrics } = options;
  const taskQueues = options.taskQueues ?? settings.taskQueues;
  const store = options.store ?? openStore(settings.store);
  await cleanStoreTemp({ store, log });
  await checkStore({ store, log });
  const deps = createActivityDeps({
    store,
    ...(options.policies === undefined ? {} : { policies: options.policies }),
    ...(settings.engineThreads === undefined ? {} : { engineThreads: settings.engineThreads }),
    executionProvider: settings.executionProvider,
    rolloutBatch: settings.rolloutBatch,
    ...(settings.trainMicroBatch === undefined ? {} : { trainMicroBatch: settings.trainMicroBatch }),
    measureKl: settings.measureKl,
    dataDir: settings.dataDir,
    workerName: options.identity ?? `pid-${process.pid}`,
    ...(metrics === undefined ? {} : { telemetry: metrics.telemetry }),
  });
  const connection = await connectWorker({ address: settings.address, log });
  let workers: Worker[];
  try {
    workers = await createWorkers({
      roles,
      connection,
      namespace: settings.namespace,
      taskQueues,
      activities: createActivities(deps),
      ...(roles.includes('orchestrator')
        ? { workflowBundle: await workflowBundle({ codePath: settings.workflowBundle }) }
        : {}),
      concurrency: settings.concurrency,
      shutdownGraceMs: settings.shutdownGraceMs,
      ...(options.identity === undefined ? {} : { identity: options.identity }),
    });
  } catch (err) {
    await connection.close();
    await deps.policies.close();
    throw err;
  }
  log.info(
    {
      roles,
      queues: roles.map((r) => queueOf(r, taskQueues)),
      address: settings.address,
      namespace: settings.namespace,
      store: store.location,
      ...(metrics === undefined ? {} : { metrics: metrics.url }),
    },
    'workers started',
  );
  const done = Promise.allSettled(workers.map((w) => w.run())).then(async (results) => {
    try {
      await deps.policies.close();
      await connection.close();
    } finally {
      await metrics?.release();
    }
    log.info({ roles }, 'workers stopped');
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  });
  return {
    workers,
    roles,
    metricsUrl: metrics?.url,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
