import type { WorkerRole } from '../src/contracts/task-queues.ts';
import { AnchorageError } from '../src/util/errors.ts';
import { logger } from '../src/util/logger.ts';
import { workerSettings } from './env.ts';
import { startWorkers } from './start-workers.ts';

/**
 * The body of a worker process: settings from the environment, workers for `roles`, until SIGINT or
 * SIGTERM (the Temporal runtime then shuts the workers down gracefully: running activities get
 * ANCHORAGE_SHUTDOWN_GRACE_SECONDS to finish or heartbeat their progress before being cancelled).
 */
export async function runWorkerProcess(options: { roles: readonly WorkerRole[] }): Promise<void> {
  const log = logger('worker');
  try {
    const running = await startWorkers({ roles: options.roles, settings: workerSettings(), log });
    await running.done;
    process.exitCode = 0;
  } catch (err) {
    log.fatal({ err }, 'worker failed');
    process.stderr.write(`anchorage worker: ${err instanceof AnchorageError ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
