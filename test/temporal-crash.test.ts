import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { runRefs } from '../src/train/run-refs.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import { checkpointChain, tinyTaskQueues, writeTinyRun } from './temporal-harness.ts';
import { type ProcessFixture, startProcessFixture } from './process-fixture.ts';
import { alive, started } from '../workers/worker-process.ts';

const ROLE_ENTRIES = ['orchestrator.ts', 'rollout.ts', 'judge.ts', 'trainer.ts'];

describe('surviving failures (real server, worker processes, tiny model)', () => {
  let fixture: ProcessFixture;
  let model: ProcessFixture['model'];
  let judgeConfig: string;
  let storeDir: string;
  let store: LocalFolderStore;
  let workerEnv: Record<string, string>;
  const queues: TaskQueues = tinyTaskQueues('crash-test');

  before(async () => {
    fixture = await startProcessFixture({ dirPrefix: 'anchorage-crash-' });
    ({ model } = fixture);
    storeDir = join(fixture.dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    judgeConfig = await fixture.writeJudgeConfig({
      file: join(fixture.dir, 'judge.json'),
      cacheDir: join(fixture.dir, 'verdicts'),
    });
    workerEnv = fixture.workerEnv({ storeDir, queues });
  });
  after(async () => {
    await fixture?.stop();
  });

  const startRun = async (name: string, steps: number) => {
    const file = await writeTinyRun({
      dir: join(fixture.dir, name),
      queuePrefix: 'crash-test',
      modelPath: model.path,
      storeDir,
      steps,
      prompts: 12,
      promptsPerStep: 12,
      maxNewTokens: 64,
      judgeConfig,
    });
    return fixture.startRun({ file, store, trainRunId: `${name}-run`, judgeShards: 3 });
  };

  it('the server stops in the middle of a step and restarts on the same SQLite file: two concurrent runs complete alike', async () => {
    // One process per task queue.
    const perQueue = ROLE_ENTRIES.map((entry) => fixture.spawn(entry, workerEnv));
    await Promise.all(perQueue.map((w) => started(w)));
    const [a, b] = await Promise.all([startRun('restart-a', 3), startRun('restart-b', 3)]);
    // In the middle of step 2 of run a: its rollouts are committed; judging, rewards and the update
    // are still to come. The wait is on the rollout worker's own log line, not a poll.
    const rollout = perQueue[ROLE_ENTRIES.indexOf('rollout.ts')]!;
    await rollout.line(
      (l) => l.msg === 'rollouts committed' && l.trainRunId === a.trainRunId && l.step === 2,
    );
    await fixture.restartServer();
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
    const running = fixture.workers.filter(alive);
    assert.equal(running.length, 4);
    for (const w of running) w.child.kill('SIGTERM');
    assert.deepEqual(
      await Promise.all(running.map((w) => w.exited)),
      running.map(() => 0),
    );
    for (const w of running) assert.ok(w.lines.some((l) => l.msg === 'workers stopped'));
  });
});
