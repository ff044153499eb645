import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startTrainingRun } from '../src/client/run-client.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import { type ChatServer, startChatServer } from '../src/rubric/judge/test-server.ts';
import type { ArtifactStore } from '../src/store/store.ts';
import { type DevServerHandle, startDevServer } from '../src/temporal/dev-server.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { WORKFLOWS_PATH } from '../workers/bundle.ts';
import { prepareFile, writeTinyModel } from './temporal-harness.ts';
import { alive, spawnWorker, type WorkerProcess } from './worker-process.ts';

/**
 * What the worker-process tests (test/temporal-failpoints.test.ts, test/temporal-crash.test.ts)
 * stand on: a dev server on a SQLite file in a temporary folder (restartable on the same file and
 * port), a client, the tiny model, a judge over real HTTP, and one prebuilt workflow bundle that
 * the worker processes load instead of bundling the workflows each at start.
 */
export interface ProcessFixture {
  dir: string;
  /** The server now running (`restartServer` replaces it). */
  server(): DevServerHandle;
  client: Client;
  model: Awaited<ReturnType<typeof writeTinyModel>>;
  /** The in-process chat server: `pass` when the last 200 characters of a request hold a vowel. */
  judge: ChatServer;
  /** Worker processes started by `spawn`; `stop` kills those still alive. */
  workers: WorkerProcess[];
  /** Writes a judge configuration (JSON) for `judge`, with its verdict cache at `cacheDir`. */
  writeJudgeConfig(options: { file: string; cacheDir: string }): Promise<string>;
  /** The environment of a worker process on this server, with its store and task queues. */
  workerEnv(options: { storeDir: string; queues: TaskQueues }): Record<string, string>;
  /** Spawns the worker process `entry` (a file in workers/) with `env`, kept in `workers`. */
  spawn(entry: string, env: Record<string, string>): WorkerProcess;
  /**
   * Starts the training run `trainRunId` configured by `file` (validated as `anchorage train` does)
   * with `judgeShards` shards, and 2 s heartbeats: an activity of a killed worker times out soon.
   */
  startRun(options: {
    file: string;
    store: ArtifactStore;
    trainRunId: string;
    judgeShards: number;
  }): ReturnType<typeof startTrainingRun>;
  /** Stops the server and starts it again on the same SQLite file and port. */
  restartServer(): Promise<void>;
  /** Kills the workers, stops the servers, removes the folder. */
  stop(): Promise<void>;
}

export async function startProcessFixture(options: { dirPrefix: string }): Promise<ProcessFixture> {
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
  const model = await started(
    () => writeTinyModel({ seed: 5 }),
    (m) => m.dispose(),
  );
  // A judge that grades the judged criterion of every prompt.
  const judge = await started(
    () =>
      startChatServer({
        handler: (request) => {
          const text = request.messages.map((m) => m.content).join('\n');
          return {
            type: 'completion',
            content: JSON.stringify({
              reason: 'read it',
              tier: /[aeiou]/.test(text.slice(-200)) ? 'pass' : 'fail',
            }),
          };
        },
      }),
    (j) => j.close(),
  );
  const bundleFile = join(dir, 'workflows.js');
  await started(
    async () => writeFile(bundleFile, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })).code),
    async () => undefined,
  );
  const workers: WorkerProcess[] = [];
  return {
    dir,
    server: () => server,
    client,
    model,
    judge,
    workers,
    async writeJudgeConfig({ file, cacheDir }) {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(
        file,
        JSON.stringify({ baseUrl: judge.baseUrl, model: 'test-judge', cacheDir, timeoutMs: 5000 }),
      );
      return file;
    },
    workerEnv: ({ storeDir, queues }) => ({
      TEMPORAL_ADDRESS: server.address,
      ANCHORAGE_STORE_DIR: storeDir,
      ANCHORAGE_WORKFLOW_BUNDLE: bundleFile,
      ANCHORAGE_TASK_QUEUE_WORKFLOW: queues.workflow,
      ANCHORAGE_TASK_QUEUE_ROLLOUT: queues.rollout,
      ANCHORAGE_TASK_QUEUE_JUDGE: queues.judge,
      ANCHORAGE_TASK_QUEUE_TRAINER: queues.trainer,
      // Rows for one prompt group at a time: groups end (and are committed) one after another.
      ANCHORAGE_ROLLOUT_BATCH: '4',
      ANCHORAGE_ENGINE_THREADS: '1',
      ANCHORAGE_SHUTDOWN_GRACE_SECONDS: '2',
    }),
    spawn(entry, env) {
      const w = spawnWorker(entry, env);
      workers.push(w);
      return w;
    },
    async startRun({ file, store, trainRunId, judgeShards }) {
      const { prepared, text } = await prepareFile(file);
      return startTrainingRun({
        client,
        store,
        prepared,
        file,
        text,
        trainRunId,
        judgeShards,
        timing: { heartbeatTimeoutSeconds: 2 },
      });
    },
    async restartServer() {
      await server.stop();
      server = await startDevServer({ dbFile, port, uiPort: false });
    },
    async stop() {
      for (const w of workers) if (alive(w)) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      for (const u of undo) await u();
    },
  };
}
