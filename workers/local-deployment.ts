import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import { type DevServerHandle, startDevServer } from '../src/temporal/dev-server.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { writeWorkflowBundle } from './bundle.ts';
import { workerProcessEnv } from './env.ts';
import { alive, spawnWorker, type WorkerProcess } from './worker-process.ts';

/**
 * A Temporal deployment on this machine made of processes, for the worker-process tests
 * (test/process-fixture.ts) and the chaos benchmark (workers/chaos/): a dev server on a SQLite file in
 * a fresh temporary folder (restartable on the same file and port, gracefully or by SIGKILL), a
 * client, one prebuilt workflow bundle that the worker processes load instead of bundling the
 * workflows each at start, and the worker processes spawned on it.
 */
export interface LocalDeployment {
  /** The temporary folder: the SQLite file, the bundle (unless given), whatever the caller puts there. */
  dir: string;
  /** The server now running (`restartServer` replaces it). */
  server(): DevServerHandle;
  client: Client;
  /** The prebuilt workflow bundle the worker processes load. */
  bundleFile: string;
  /** Worker processes started by `spawn`; `stop` kills those still alive. */
  workers: WorkerProcess[];
  /** The environment of a worker process on this server, with its store, data folder and task queues. */
  workerEnv(options: { storeDir: string; dataDir?: string; queues: TaskQueues }): Record<string, string>;
  /** Spawns the worker process `entry` (a file in workers/) with `env`, kept in `workers`. */
  spawn(entry: string, env: Record<string, string>): WorkerProcess;
  /**
   * Stops the server (SIGTERM, or SIGKILL with `kill`) and waits for its exit, then starts it again
   * on the same SQLite file and port; resolves once it answers.
   */
  restartServer(options?: { kill?: boolean }): Promise<void>;
  /** Kills the workers still alive, stops the server, removes the folder (unless `keepDir`). */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export async function startLocalDeployment(options: {
  /** Prefix of the temporary folder's name. */
  dirPrefix: string;
  /** A workflow bundle written before (shared by several deployments); default: one written here. */
  bundleFile?: string;
}): Promise<LocalDeployment> {
  const dir = await mkdtemp(join(tmpdir(), options.dirPrefix));
  // What is started so far, undone (last first) if a later piece fails to start.
  const undo: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const started = async <T>(start: () => Promise<T>, stop: (it: T) => Promise<unknown>): Promise<T> => {
    try {
      const it = await start();
      undo.unshift(() => stop(it));
      return it;
    } catch (err) {
      for (const u of undo) await u().catch(() => undefined);
      throw err;
    }
  };
  const dbFile = join(dir, 'temporal.sqlite');
  const port = await started(freePort, async () => undefined);
  let server: DevServerHandle = await started(
    () => startDevServer({ dbFile, port, uiPort: false }),
    () => server.stop(),
  );
  const connection = await started(
    () => Connection.connect({ address: server.address }),
    (c) => c.close(),
  );
  const client = new Client({ connection });
  const bundleFile =
    options.bundleFile ??
    (await started(
      () => writeWorkflowBundle(join(dir, 'workflows.js')),
      async () => undefined,
    ));
  const workers: WorkerProcess[] = [];
  return {
    dir,
    server: () => server,
    client,
    bundleFile,
    workers,
    workerEnv: ({ storeDir, dataDir, queues }) =>
      workerProcessEnv({
        address: server.address,
        storeDir,
        ...(dataDir === undefined ? {} : { dataDir }),
        taskQueues: queues,
        workflowBundle: bundleFile,
      }),
    spawn(entry, env) {
      const w = spawnWorker(entry, env);
      workers.push(w);
      return w;
    },
    async restartServer(restart = {}) {
      if (restart.kill) {
        process.kill(server.pid, 'SIGKILL');
        await server.exited;
      } else {
        await server.stop();
      }
      server = await startDevServer({ dbFile, port, uiPort: false });
    },
    async stop(stopOptions = {}) {
      for (const w of workers) if (alive(w)) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      for (const u of stopOptions.keepDir ? undo.slice(0, -1) : undo) await u();
    },
  };
}
