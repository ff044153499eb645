import type { Client } from '@temporalio/client';
import { startTrainingRun } from '../src/client/run-client.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import type { ChatServer } from '../src/rubric/judge/test-server.ts';
import type { ArtifactStore } from '../src/store/store.ts';
import type { DevServerHandle } from '../src/temporal/dev-server.ts';
import { startTinyJudge, writeTinyJudgeConfig } from '../src/train/testing/tiny-judge.ts';
import { TINY_WORKER_ENV } from '../src/train/testing/tiny-run.ts';
import { startLocalDeployment } from '../workers/local-deployment.ts';
import type { WorkerProcess } from '../workers/worker-process.ts';
import { prepareFile, writeTinyModel } from './temporal-harness.ts';

/**
 * What the worker-process tests (test/temporal-failpoints.test.ts, test/temporal-crash.test.ts)
 * stand on: a local deployment (workers/local-deployment.ts: a dev server on a SQLite file in a
 * temporary folder, restartable on the same file and port, a client, one prebuilt workflow bundle
 * that the worker processes load), the tiny model and a judge over real HTTP
 * (src/train/testing/tiny-judge.ts).
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
  const deployment = await startLocalDeployment({ dirPrefix: options.dirPrefix });
  const model = await writeTinyModel({ seed: 5 }).catch(async (err: unknown) => {
    await deployment.stop();
    throw err;
  });
  // A judge that grades the judged criterion of every prompt.
  const judge = await startTinyJudge().catch(async (err: unknown) => {
    await model.dispose();
    await deployment.stop();
    throw err;
  });
  const { client } = deployment;
  return {
    dir: deployment.dir,
    server: deployment.server,
    client,
    model,
    judge,
    workers: deployment.workers,
    writeJudgeConfig: ({ file, cacheDir }) =>
      writeTinyJudgeConfig({ file, cacheDir, baseUrl: judge.baseUrl }),
    workerEnv: ({ storeDir, queues }) => ({
      ...deployment.workerEnv({ storeDir, queues }),
      ...TINY_WORKER_ENV,
    }),
    spawn: (entry, env) => deployment.spawn(entry, env),
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
    restartServer: () => deployment.restartServer(),
    async stop() {
      await deployment.stop();
      await judge.close();
      await model.dispose();
    },
  };
}
