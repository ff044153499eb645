import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { type ChatServer, startChatServer } from '../src/rubric/judge/test-server.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { type DevServerHandle, startDevServer } from '../src/temporal/dev-server.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { WORKFLOWS_PATH } from '../workers/bundle.ts';
import { startTrainingRun } from '../src/client/run-client.ts';
import { runRefs } from '../src/train/run-refs.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import {
  checkpointChain,
  prepareFile,
  tinyTaskQueues,
  writeTinyModel,
  writeTinyRun,
} from './temporal-harness.ts';
import { alive, spawnWorker, started, type WorkerProcess } from './worker-process.ts';

const ROLE_ENTRIES = ['orchestrator.ts', 'rollout.ts', 'judge.ts', 'trainer.ts'];

describe('surviving failures (real server, worker processes, tiny model)', () => {
  let dir: string;
  let dbFile: string;
  let port: number;
  let server: DevServerHandle;
  let connection: Connection;
  let client: Client;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let judgeServer: ChatServer;
  let judgeConfig: string;
  let storeDir: string;
  let store: LocalFolderStore;
  let workerEnv: Record<string, string>;
  const queues: TaskQueues = tinyTaskQueues('crash-test');
  const workers: WorkerProcess[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-crash-'));
    dbFile = join(dir, 'temporal.sqlite');
    port = await freePort();
    server = await startDevServer({ dbFile, port, uiPort: false });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
    model = await writeTinyModel({ seed: 5 });
    storeDir = join(dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    // A judge over real HTTP: the in-process chat server grades the judged criterion of every prompt.
    judgeServer = await startChatServer({
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
    });
    judgeConfig = join(dir, 'judge.json');
    await writeFile(
      judgeConfig,
      JSON.stringify({
        baseUrl: judgeServer.baseUrl,
        model: 'test-judge',
        cacheDir: join(dir, 'verdicts'),
        timeoutMs: 5000,
      }),
    );
    // Workers load one prebuilt bundle instead of bundling the workflows each at start.
    const bundleFile = join(dir, 'workflows.js');
    await writeFile(bundleFile, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })).code);
    workerEnv = {
      TEMPORAL_ADDRESS: server.address,
      ANCHORAGE_STORE_DIR: storeDir,
      ANCHORAGE_WORKFLOW_BUNDLE: bundleFile,
      ANCHORAGE_TASK_QUEUE_WORKFLOW: queues.workflow,
      ANCHORAGE_TASK_QUEUE_ROLLOUT: queues.rollout,
      ANCHORAGE_TASK_QUEUE_JUDGE: queues.judge,
      ANCHORAGE_TASK_QUEUE_TRAINER: queues.trainer,
      // Rows for one prompt group at a time: groups end (and are written) one after another.
      ANCHORAGE_ROLLOUT_BATCH: '4',
      ANCHORAGE_ENGINE_THREADS: '1',
      ANCHORAGE_SHUTDOWN_GRACE_SECONDS: '2',
    };
  });
  after(async () => {
    for (const w of workers) if (alive(w)) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await connection?.close();
    await server?.stop();
    await judgeServer?.close();
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const startRun = async (name: string, steps: number) => {
    const file = await writeTinyRun({
      dir: join(dir, name),
      queuePrefix: 'crash-test',
      modelPath: model.path,
      storeDir,
      steps,
      prompts: 12,
      promptsPerStep: 12,
      maxNewTokens: 64,
      judgeConfig,
    });
    const { prepared, text } = await prepareFile(file);
    return startTrainingRun({
      client,
      store,
      prepared,
      file,
      text,
      trainRunId: `${name}-run`,
      judgeShards: 3,
      timing: { heartbeatTimeoutSeconds: 2 },
    });
  };

  it('the server stops in the middle of a step and restarts on the same SQLite file: two concurrent runs complete alike', async () => {
    // One process per task queue.
    const perQueue = ROLE_ENTRIES.map((entry) => spawnWorker(entry, workerEnv));
    workers.push(...perQueue);
    await Promise.all(perQueue.map((w) => started(w)));
    const [a, b] = await Promise.all([startRun('restart-a', 3), startRun('restart-b', 3)]);
    // In the middle of step 2 of run a: its rollouts are committed; judging, rewards and the update
    // are still to come. The wait is on the rollout worker's own log line, not a poll.
    const rollout = perQueue[ROLE_ENTRIES.indexOf('rollout.ts')]!;
    await rollout.line(
      (l) => l.msg === 'rollouts committed' && l.trainRunId === a.trainRunId && l.step === 2,
    );
    await server.stop();
    server = await startDevServer({ dbFile, port, uiPort: false });
    const results = await Promise.all([a, b].map((r) => r.handle.result()));
    assert.deepEqual(
      results.map((r) => [r.status, r.completedSteps]),
      [
        ['completed', 3],
        ['completed', 3],
      ],
    );
    // The guarantees of the failpoint tests (test/temporal-failpoints.test.ts): one checkpoint per
    // step, hash-chained over the weights (checkpointChain throws otherwise), latest the last one;
    // every rollout batch, judge shard and update committed once.
    const [ca, cb] = await Promise.all(
      [a, b].map((r) => checkpointChain({ store, trainRunId: r.trainRunId, model: model.path })),
    );
    const steps = ['1', '2', '3'];
    for (const [run, chain] of [
      [a, ca!],
      [b, cb!],
    ] as const) {
      assert.deepEqual(
        chain.map((c) => `${c.step}`),
        steps,
        'one checkpoint per step, no gap, no duplicate',
      );
      assert.equal(await store.getRef(runRefs.latest(run.trainRunId)), chain.at(-1)!.address);
      const committed = (msg: string) =>
        perQueue
          .flatMap((w) => w.lines)
          .filter(
            (l) => l.msg === msg && l.trainRunId === run.trainRunId && (l.purpose ?? 'train') === 'train',
          )
          .map((l) => (l.shard === undefined ? `${l.step}` : `${l.step}/${l.shard}`))
          .sort();
      assert.deepEqual(committed('policy update committed'), steps, 'each update committed once');
      assert.deepEqual(committed('rollouts committed'), steps, 'each rollout batch committed once');
      assert.deepEqual(
        committed('judgements committed'),
        steps.flatMap((s) => [0, 1, 2].map((k) => `${s}/${k}`)),
        'each judge shard committed once',
      );
    }
    assert.deepEqual(
      ca!.map((c) => c.adapter),
      cb!.map((c) => c.adapter),
      'two runs on the same workers leave each other alone: the same configuration, the same adapters',
    );
  });

  it('workers shut down gracefully on SIGTERM', async () => {
    const running = workers.filter(alive);
    assert.equal(running.length, 4);
    for (const w of running) w.child.kill('SIGTERM');
    assert.deepEqual(
      await Promise.all(running.map((w) => w.exited)),
      running.map(() => 0),
    );
    for (const w of running) assert.ok(w.lines.some((l) => l.msg === 'workers stopped'));
  });
});
