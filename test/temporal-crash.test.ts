import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { type ChatServer, startChatServer } from '../src/rubric/judge/test-server.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { type DevServerHandle, startDevServer } from '../src/temporal/dev-server.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { FAILPOINTS_ENV } from '../src/util/failpoints.ts';
import { ShardJudgement } from '../src/train/judgements.ts';
import { RolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { WORKFLOWS_PATH } from '../workers/bundle.ts';
import { queryProgress, startTrainingRun } from '../src/client/run-client.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import {
  checkpointChain,
  prepareFile,
  tinyTaskQueues,
  waitFor,
  writeTinyModel,
  writeTinyRun,
} from './temporal-harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A worker process started from one of the entries in workers/, with its log lines kept. */
const alive = (w: WorkerProcess) => w.child.exitCode === null && w.child.signalCode === null;

interface WorkerProcess {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exited: Promise<number | string>;
}

function spawnWorker(entry: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join('workers', entry)], {
    cwd: ROOT,
    env: { ...process.env, ANCHORAGE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line });
    }
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, lines, exited };
}

async function started(worker: WorkerProcess, entry: string): Promise<void> {
  await waitFor(`${entry} to start`, () => {
    if (!alive(worker)) {
      throw new Error(`${entry} exited: ${worker.lines.map((l) => l.msg).join(' | ')}`);
    }
    return worker.lines.some((l) => l.msg === 'workers started') ? true : undefined;
  });
}

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

  /** Groups the server has recorded as done in the rollout activity's heartbeat, for a step. */
  const rolloutHeartbeat = async (trainRunId: string, step: number): Promise<number | undefined> => {
    const described = await client.workflow.getHandle(`${trainRunId}/step-${step}`).describe();
    for (const pending of described.raw.pendingActivities ?? []) {
      if (pending.activityType?.name !== 'generateRollouts') continue;
      const payload = pending.heartbeatDetails?.payloads?.[0];
      if (payload === undefined) return 0;
      const details = defaultPayloadConverter.fromPayload(payload) as { groups?: Record<string, string> };
      return Object.keys(details.groups ?? {}).length;
    }
    return undefined;
  };

  it('SIGKILL of the worker mid-rollout: new workers resume the rollouts, every step commits once, no update applied twice, no verdict graded twice', async () => {
    // The worker pauses for good once it has written 3 of step 2's 12 rollout groups (a failpoint),
    // so the kill lands mid-rollout by construction rather than by timing.
    const allInOne = spawnWorker('all-in-one.ts', {
      ...workerEnv,
      [FAILPOINTS_ENV]: 'rollouts.group-written:step=2,groups=3',
    });
    workers.push(allInOne);
    await started(allInOne, 'all-in-one.ts');
    const run = await startRun('sigkill', 3);
    await waitFor('the failpoint after 3 groups of step 2', () => {
      if (!alive(allInOne))
        throw new Error(`all-in-one.ts exited: ${allInOne.lines.map((l) => l.msg).join(' | ')}`);
      return allInOne.lines.some((l) => l.msg === 'failpoint reached') ? true : undefined;
    });
    // The paused activity keeps heartbeating: the server learns of the 3 groups it recorded.
    const doneAtKill = await waitFor('the 3 groups in the rollout heartbeat', async () => {
      const n = await rolloutHeartbeat(run.trainRunId, 2).catch(() => undefined);
      return n === 3 ? n : undefined;
    });
    allInOne.child.kill('SIGKILL');
    assert.equal(await allInOne.exited, 'SIGKILL');
    assert.equal(
      await store.getRef(runRefs.rollouts({ trainRunId: run.trainRunId, step: 2, purpose: 'train' })),
      undefined,
      'killed before the step-2 rollouts were committed',
    );

    // The replacement: one process per task queue.
    const replacements = ROLE_ENTRIES.map((entry) => spawnWorker(entry, workerEnv));
    workers.push(...replacements);
    await Promise.all(replacements.map((w, i) => started(w, ROLE_ENTRIES[i]!)));
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.completedSteps, 3);

    // Checkpoints: exactly one per step, each trained from the one before, optimizer steps +1 each.
    const chain = await checkpointChain({ store, trainRunId: run.trainRunId, model: model.path });
    assert.equal(chain.length, 3, '#committed checkpoints == #steps');
    // Every update applied and committed once: one commit log line per step over all processes.
    const commits = [allInOne, ...replacements].flatMap((w) =>
      w.lines.filter((l) => l.msg === 'policy update committed' && l.trainRunId === run.trainRunId),
    );
    assert.deepEqual(commits.map((l) => l.step).sort(), [1, 2, 3], 'one committed update per step');
    // Step 2's rollouts resumed from the groups the killed attempt had recorded.
    const batch = await store.getJson(
      (await store.getRef(runRefs.rollouts({ trainRunId: run.trainRunId, step: 2, purpose: 'train' })))!,
      RolloutBatch,
    );
    assert.ok(
      batch.stats.resumedGroups >= doneAtKill,
      `resumed ${batch.stats.resumedGroups} >= ${doneAtKill} groups`,
    );
    const resumedBy = replacements[1]!.lines.find((l) => l.msg === 'resuming rollouts');
    assert.ok(resumedBy !== undefined, 'the new rollout worker resumed');

    // Judging: the grading requests the judge server received are exactly the cache misses the
    // committed shards recorded, and every judged verdict was answered once (hit or miss).
    const shards = await store.listRefs(runRefs.runPrefix(run.trainRunId));
    const judgements = await Promise.all(
      shards
        .filter((r) => r.name.includes('/judgements/'))
        .map((r) => store.getJson(r.address, ShardJudgement)),
    );
    assert.equal(judgements.length, 9, '3 shards x 3 steps');
    const misses = judgements.reduce((n, j) => n + j.stats.judgeCacheMisses, 0);
    const hits = judgements.reduce((n, j) => n + j.stats.judgeCacheHits, 0);
    const verdicts = judgements.reduce((n, j) => n + j.stats.judgeVerdicts, 0);
    assert.equal(verdicts, 3 * 12 * 4, 'one judged criterion per response');
    assert.equal(hits + misses, verdicts);
    assert.equal(judgeServer.requests.length, misses, 'no verdict was graded twice');
  });

  it('the server stops in the middle of a step and restarts on the same SQLite file: two concurrent runs complete alike', async () => {
    assert.equal(workers.filter(alive).length, 4, 'the per-queue workers run');
    const [a, b] = await Promise.all([startRun('restart-a', 3), startRun('restart-b', 3)]);
    await waitFor('step 2 of a run to be under way', async () => {
      const p = await queryProgress(client, a.trainRunId);
      return p.currentStep === 2 ? p : undefined;
    });
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
    const [ca, cb] = await Promise.all(
      [a, b].map((r) => checkpointChain({ store, trainRunId: r.trainRunId, model: model.path })),
    );
    assert.equal(ca!.length, 3);
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
