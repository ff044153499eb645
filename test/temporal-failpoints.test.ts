import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import type { ChatServer } from '../src/rubric/judge/test-server.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { ShardJudgement } from '../src/train/judgements.ts';
import { MetricsRecord } from '../src/train/metrics.ts';
import { countRefusals } from '../src/step/refusals.ts';
import { RolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import type { FailpointFacts, FailpointName } from '../src/util/failpoint-names.ts';
import { FAILPOINTS_ENV, failpointSpec } from '../src/util/failpoints.ts';
import { queryProgress, signalRun } from '../src/client/run-client.ts';
import { checkpointChain, runHistories, tinyTaskQueues, writeTinyRun } from './temporal-harness.ts';
import { type ProcessFixture, startProcessFixture } from './process-fixture.ts';
import { type LogLine, started, stopWorker, type WorkerProcess } from '../workers/worker-process.ts';
import { historyActivities } from '../src/client/history-activities.ts';
import { historyEvent } from '../src/client/history-waits.ts';

/**
 * One crash per failpoint (src/util/failpoint-names.ts): an all-in-one worker process armed with
 * `<failpoint>@kill` dies exactly there (SIGKILL from itself; the test waits for its exit), a fresh
 * worker takes over, and the run must complete with every step committed once, a checkpoint chain
 * without gap or duplicate whose weights hash-chain from step to step (each update applied once),
 * and the work finished before the crash read back rather than done again.
 */
describe('a crash at every commit boundary (failpoints, real server, worker processes, tiny model)', () => {
  let fixture: ProcessFixture;
  let client: Client;
  let model: ProcessFixture['model'];
  let judgeServer: ChatServer;

  before(async () => {
    fixture = await startProcessFixture({ dirPrefix: 'anchorage-failpoints-' });
    ({ client, model, judge: judgeServer } = fixture);
  });
  after(async () => {
    await fixture?.stop();
  });

  /** A test's own run: its queues, store and verdict cache, so tests never share work. */
  const setUp = async (name: string, options: { steps: number; continueAsNewEvery?: number }) => {
    const root = join(fixture.dir, name);
    const storeDir = join(root, 'store');
    const cacheDir = join(root, 'verdicts');
    const judgeConfig = await fixture.writeJudgeConfig({ file: join(root, 'judge.json'), cacheDir });
    const queues = tinyTaskQueues(`fp-${name}`);
    const env = fixture.workerEnv({ storeDir, queues });
    const file = await writeTinyRun({
      dir: root,
      queuePrefix: `fp-${name}`,
      modelPath: model.path,
      storeDir,
      steps: options.steps,
      prompts: 4,
      promptsPerStep: 4,
      maxNewTokens: 24,
      judgeConfig,
      ...(options.continueAsNewEvery === undefined ? {} : { continueAsNewEvery: options.continueAsNewEvery }),
    });
    const store = new LocalFolderStore({ root: storeDir });
    // One judge shard: judging is the only work in flight at a judge failpoint, so the judge's
    // requests can be counted exactly.
    const start = () => fixture.startRun({ file, store, trainRunId: `${name}-run`, judgeShards: 1 });
    const spawn = (extra: Record<string, string> = {}) =>
      fixture.spawn('all-in-one.ts', { ...env, ...extra });
    return { storeDir, cacheDir, store, start, spawn };
  };

  /** Lines of `msg` about the run, over the processes given. */
  const logged = (processes: WorkerProcess[], msg: string, trainRunId: string): LogLine[] =>
    processes.flatMap((w) => w.lines.filter((l) => l.msg === msg && l.trainRunId === trainRunId));

  /**
   * Runs `steps` steps: the first worker dies at `failpoint` (armed with `facts`), a second takes
   * over after `atKill` has looked at the state the crash left. Checks what every crash must leave:
   * the run completed; one checkpoint per step, chained by parent and by a hash of the weights, with
   * one optimizer step per update; every commit logged once over both processes (rollouts per step,
   * judgements per shard, policy updates per step), so nothing committed before the crash was
   * computed again.
   */
  const crashAt = async <T>(options: {
    name: string;
    failpoint: FailpointName;
    facts: FailpointFacts;
    steps?: number;
    continueAsNewEvery?: number;
    atKill?: (ctx: { store: LocalFolderStore; trainRunId: string; cacheDir: string }) => Promise<T>;
  }) => {
    const steps = options.steps ?? 3;
    const ctx = await setUp(options.name, {
      steps,
      ...(options.continueAsNewEvery === undefined ? {} : { continueAsNewEvery: options.continueAsNewEvery }),
    });
    const requestsBefore = judgeServer.requests.length;
    const first = ctx.spawn({ [FAILPOINTS_ENV]: failpointSpec(options.failpoint, 'kill', options.facts) });
    await started(first);
    const run = await ctx.start();
    const how = await Promise.race([first.exited, run.handle.result().then(() => 'the run completed')]);
    assert.equal(how, 'SIGKILL', 'the armed worker killed itself');
    const last = first.lines.at(-1)!;
    assert.equal(last.msg, 'failpoint reached', 'its last word was the failpoint');
    assert.equal(last.failpoint, options.failpoint);
    for (const [k, v] of Object.entries(options.facts)) assert.equal(String(last[k]), String(v), `fact ${k}`);
    const requestsAtKill = judgeServer.requests.length;
    // The dead worker held the run's workflows on its sticky queue; the server would wait 10 s for it
    // before giving their next task to another worker. Tell it the worker is gone, as a supervisor
    // that saw the process die would.
    for (const workflowId of [
      run.trainRunId,
      ...Array.from({ length: steps }, (_, i) => `${run.trainRunId}/step-${i + 1}`),
    ]) {
      await client.workflowService
        .resetStickyTaskQueue({ namespace: client.options.namespace, execution: { workflowId } })
        .catch(() => undefined); // a step not started yet
    }
    const seen = await options.atKill?.({
      store: ctx.store,
      trainRunId: run.trainRunId,
      cacheDir: ctx.cacheDir,
    });

    const second = ctx.spawn();
    await started(second);
    const result = await run.handle.result();
    for (const l of second.lines)
      console.error('L2', new Date(l.time as number).toISOString().slice(14, 23), l.msg, l.step ?? '');
    assert.equal(result.status, 'completed');
    assert.equal(result.completedSteps, steps);

    const chain = await checkpointChain({ store: ctx.store, trainRunId: run.trainRunId, model: model.path });
    assert.deepEqual(
      chain.map((c) => c.step),
      Array.from({ length: steps }, (_, i) => i + 1),
      'one checkpoint per step, no gap, no duplicate',
    );
    assert.equal(await ctx.store.getRef(runRefs.latest(run.trainRunId)), chain.at(-1)!.address);
    const both = [first, second];
    const perStep = (msg: string) =>
      logged(both, msg, run.trainRunId)
        .map((l) => (l.shard === undefined ? `${l.step}` : `${l.step}/${l.shard}`))
        .sort();
    const everyStep = Array.from({ length: steps }, (_, i) => `${i + 1}`);
    assert.deepEqual(perStep('policy update committed'), everyStep, 'each update committed once');
    assert.deepEqual(perStep('rollouts committed'), everyStep, 'each rollout batch committed once');
    assert.deepEqual(
      perStep('judgements committed'),
      everyStep.map((s) => `${s}/0`),
      'each judge shard committed once',
    );
    // Each request the judge answered left one verdict in the cache: no verdict was graded twice.
    assert.equal(await cachedVerdicts(ctx.cacheDir), judgeServer.requests.length - requestsBefore);
    const judgement = async (step: number) =>
      ctx.store.getJson(
        (await ctx.store.getRef(
          runRefs.judgement({ trainRunId: run.trainRunId, step, purpose: 'train', shard: 0, shards: 1 }),
        ))!,
        ShardJudgement,
      );
    return {
      ...ctx,
      run,
      first,
      second,
      chain,
      seen: seen as T,
      judgement,
      requests: { before: requestsBefore, atKill: requestsAtKill, after: judgeServer.requests.length },
    };
  };

  const rolloutsOf = async (store: LocalFolderStore, trainRunId: string, step: number) =>
    store.getJson(
      (await store.getRef(runRefs.rollouts({ trainRunId, step, purpose: 'train' })))!,
      RolloutBatch,
    );

  it('rollouts.group-written: the groups committed before the crash are read back, the rest sampled', async () => {
    const out = await crashAt({
      name: 'group-written',
      failpoint: 'rollouts.group-written',
      facts: { step: 2, groups: 2 },
      atKill: async ({ store, trainRunId }) =>
        (await store.listRefs(runRefs.rolloutGroups({ trainRunId, step: 2, purpose: 'train' }))).length,
    });
    assert.equal(out.seen, 2, 'two groups were committed when it died');
    const batch = await rolloutsOf(out.store, out.run.trainRunId, 2);
    assert.equal(batch.stats.resumedGroups, 2, 'both read back, not sampled again');
    const resumed = await out.second.line((l) => l.msg === 'resuming rollouts' && l.step === 2);
    assert.equal(resumed.resumedGroups, 2);
  });

  it('rollouts.before-commit: every group is read back, none sampled again', async () => {
    const out = await crashAt({
      name: 'before-commit',
      failpoint: 'rollouts.before-commit',
      facts: { step: 2 },
    });
    const batch = await rolloutsOf(out.store, out.run.trainRunId, 2);
    assert.equal(batch.stats.resumedGroups, batch.groups.length);
  });

  it('rollouts.committed: the committed batch is returned as it is', async () => {
    const out = await crashAt({
      name: 'rollouts-committed',
      failpoint: 'rollouts.committed',
      facts: { step: 2 },
      atKill: async ({ store, trainRunId }) =>
        store.getRef(runRefs.rollouts({ trainRunId, step: 2, purpose: 'train' })),
    });
    assert.ok(out.seen !== undefined);
    assert.equal(
      await out.store.getRef(runRefs.rollouts({ trainRunId: out.run.trainRunId, step: 2, purpose: 'train' })),
      out.seen,
    );
    assert.equal(logged([out.first], 'rollouts committed', out.run.trainRunId).at(-1)?.step, 2);
  });

  it('judge.verdicts-cached: verdicts graded before the crash come from the cache, not the judge', async () => {
    const out = await crashAt({
      name: 'verdicts-cached',
      failpoint: 'judge.verdicts-cached',
      facts: { step: 2, groups: 2 },
      atKill: async ({ cacheDir }) => cachedVerdicts(cacheDir),
    });
    const [step1, step2, step3] = await Promise.all([1, 2, 3].map((s) => out.judgement(s)));
    // The killed attempt had graded (and cached) two groups of step 2, with nothing else in flight.
    const gradedInStep2 = out.seen - step1!.stats.judgeCacheMisses;
    assert.ok(gradedInStep2 > 0, 'some step-2 verdicts were cached when it died');
    assert.equal(out.requests.atKill - out.requests.before, out.seen);
    // The new attempt found them in the cache: the judge answered each verdict of the run once.
    assert.ok(step2!.stats.judgeCacheHits >= gradedInStep2, `${step2!.stats.judgeCacheHits} step-2 hits`);
    const misses = [step1!, step2!, step3!].reduce((n, j) => n + j.stats.judgeCacheMisses, 0);
    assert.equal(out.requests.after - out.requests.before, misses + gradedInStep2);
  });

  it('judge.shard-committed: the committed shard is returned, nothing graded again', async () => {
    const out = await crashAt({
      name: 'shard-committed',
      failpoint: 'judge.shard-committed',
      facts: { step: 2 },
      atKill: async ({ store, trainRunId }) =>
        store.getRef(runRefs.judgement({ trainRunId, step: 2, purpose: 'train', shard: 0, shards: 1 })),
    });
    assert.ok(out.seen !== undefined, 'the shard was committed when it died');
    assert.equal(
      await out.store.getRef(
        runRefs.judgement({ trainRunId: out.run.trainRunId, step: 2, purpose: 'train', shard: 0, shards: 1 }),
      ),
      out.seen,
    );
    const misses = (await Promise.all([1, 2, 3].map((s) => out.judgement(s)))).reduce(
      (n, j) => n + j.stats.judgeCacheMisses,
      0,
    );
    assert.equal(out.requests.after - out.requests.before, misses, 'each verdict graded once');
  });

  it('checkpoint.before-write: the update runs again from the same parent and commits once', async () => {
    const out = await crashAt({
      name: 'before-write',
      failpoint: 'checkpoint.before-write',
      facts: { step: 2 },
      atKill: async ({ store, trainRunId }) => store.getRef(runRefs.checkpoint(trainRunId, 2)),
    });
    assert.equal(out.seen, undefined, 'nothing committed for step 2 when it died');
    assert.equal(logged([out.second], 'policy update committed', out.run.trainRunId)[0]?.step, 2);
  });

  it('checkpoint.written: the new attempt computes the very adapters the killed one wrote, and commits them once', async () => {
    const out = await crashAt({
      name: 'written',
      failpoint: 'checkpoint.written',
      facts: { step: 2 },
      atKill: async ({ store, trainRunId }) => ({
        ref: await store.getRef(runRefs.checkpoint(trainRunId, 2)),
        objects: await objectsOf(store),
      }),
    });
    assert.equal(out.seen.ref, undefined, 'not committed when it died');
    // The update is deterministic: the retry's adapters and optimizer state are the objects the killed
    // attempt had written (the record differs only in its timing and worker).
    const files = out.chain[1]!.record.files;
    assert.ok(Object.keys(files).length >= 2);
    for (const [name, address] of Object.entries(files)) {
      assert.ok(out.seen.objects.has(address), `${name} was already in the store`);
    }
    assert.ok(!out.seen.objects.has(out.chain[1]!.address), 'the record is the new attempt’s');
  });

  it('checkpoint.committed: the committed checkpoint is returned, the update not applied again', async () => {
    const out = await crashAt({
      name: 'committed',
      failpoint: 'checkpoint.committed',
      facts: { step: 2 },
      atKill: async ({ store, trainRunId }) => store.getRef(runRefs.checkpoint(trainRunId, 2)),
    });
    assert.equal(out.chain[1]!.address, out.seen);
    const returned = await out.second.line((l) => l.msg === 'checkpoint already committed; returning it');
    assert.equal(returned.step, 2);
  });

  it('checkpoint.latest-moved: publishing the checkpoint again is a no-op', async () => {
    const out = await crashAt({
      name: 'latest-moved',
      failpoint: 'checkpoint.latest-moved',
      facts: { step: 2 },
      atKill: async ({ store, trainRunId }) => ({
        latest: await store.getRef(runRefs.latest(trainRunId)),
        checkpoint: await store.getRef(runRefs.checkpoint(trainRunId, 2)),
      }),
    });
    assert.equal(out.seen.latest, out.seen.checkpoint, 'latest had moved to step 2 when it died');
    assert.equal(out.chain[1]!.address, out.seen.checkpoint);
  });

  it('run.continue-as-new: the workflow task that continues the run is redone by the new worker', async () => {
    const out = await crashAt({
      name: 'continue-as-new',
      failpoint: 'run.continue-as-new',
      facts: { nextStep: 3 },
      continueAsNewEvery: 2,
      atKill: async ({ store, trainRunId }) => store.getRef(runRefs.checkpoint(trainRunId, 2)),
    });
    assert.equal(out.seen, out.chain[1]!.address, 'step 2 was committed when it died');
    const histories = await runHistories({
      client,
      trainRunId: out.run.trainRunId,
      firstRunId: out.run.handle.firstExecutionRunId,
    });
    const continued = histories
      .filter((h) => h.workflowId === out.run.trainRunId)
      .flatMap((h) => h.history.events ?? [])
      .filter((e) => e.workflowExecutionContinuedAsNewEventAttributes != null);
    assert.equal(continued.length, 1, 'continued as new once');
    assert.deepEqual(
      logged([out.second], 'policy update committed', out.run.trainRunId).map((l) => l.step),
      [3],
      'the new worker trained step 3 only',
    );
  });

  it('a NaN reward refuses the step: a failure in the history, no retry, the last checkpoint kept, the refusal counted; resumed, the step runs again', async () => {
    const ctx = await setUp('nan-reward', { steps: 3 });
    const armed = ctx.spawn({ [FAILPOINTS_ENV]: failpointSpec('rewards.aggregated', 'nan', { step: 2 }) });
    await started(armed);
    const run = await ctx.start();
    const stepId = `${run.trainRunId}/step-2`;
    await armed.line((l) => l.msg === 'rewards refused' && l.step === 2);
    await assert.rejects(client.workflow.getHandle(stepId).result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      const root = rootCause(err);
      assert.equal(root.type, 'NonFiniteRewardError');
      assert.equal(root.nonRetryable, true);
      assert.match(
        root.message,
        /^the combined reward of group 0 sample 0 is NaN, a finite number was expected/,
      );
      return true;
    });
    // The run sees the failed step and waits for resume or stop (no polling: its history's next task).
    await historyEvent({
      client,
      workflowId: run.trainRunId,
      match: (e) => e.childWorkflowExecutionFailedEventAttributes != null,
    });
    const progress = await queryProgress(client, run.trainRunId);
    assert.equal(progress.status, 'failed');
    assert.deepEqual([progress.failure?.step, progress.failure?.type], [2, 'NonFiniteRewardError']);
    assert.equal(progress.completedSteps, 1);
    const stepHistory = await client.workflow.getHandle(stepId).fetchHistory();
    const rewardAttempts = historyActivities(stepHistory).filter((a) => a.name === 'computeRewards');
    assert.deepEqual(
      rewardAttempts.map((a) => [a.outcome, a.attempt]),
      [['failed', 1]],
      'not retried',
    );
    // Nothing of step 2 was committed past its verdicts; the last checkpoint is step 1's.
    const latest = await ctx.store.getRef(runRefs.latest(run.trainRunId));
    assert.equal(latest, await ctx.store.getRef(runRefs.checkpoint(run.trainRunId, 1)));
    assert.equal(await ctx.store.getRef(runRefs.checkpoint(run.trainRunId, 2)), undefined);
    assert.equal(
      await ctx.store.getRef(runRefs.rewards({ trainRunId: run.trainRunId, step: 2, purpose: 'train' })),
      undefined,
    );
    const refusals = await countRefusals({
      store: ctx.store,
      trainRunId: run.trainRunId,
      step: 2,
      purpose: 'train',
    });
    assert.deepEqual(refusals, { update: 0, reward: 1 });

    // The cause gone (a worker without the failpoint), resume runs step 2 again: its rollouts and
    // verdicts are read back, and its metrics count the refusal.
    await stopWorker(armed);
    const clean = ctx.spawn();
    await started(clean);
    await signalRun.resume(client, run.trainRunId);
    const result = await run.handle.result();
    assert.deepEqual([result.status, result.completedSteps], ['completed', 3]);
    await checkpointChain({ store: ctx.store, trainRunId: run.trainRunId, model: model.path });
    assert.deepEqual(
      logged([armed, clean], 'rollouts committed', run.trainRunId).map((l) => l.step),
      [1, 2, 3],
      'step 2 sampled once',
    );
    const metrics = await ctx.store.getJson(
      (await ctx.store.getRef(runRefs.metrics({ trainRunId: run.trainRunId, step: 2, purpose: 'train' })))!,
      MetricsRecord,
    );
    assert.equal(metrics.metrics['refused/reward'], 1);
    assert.ok(Number.isFinite(metrics.metrics['reward/mean']));
  });
});

/** The innermost failure with a type (an ApplicationFailure) in a chain of causes. */
function rootCause(err: Error): { type?: string; nonRetryable?: boolean; message: string } {
  let found = err as Error & { type?: string; nonRetryable?: boolean };
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (typeof (current as { type?: unknown }).type === 'string') found = current as typeof found;
  }
  return found;
}

/** How many verdicts the judge's cache folder holds. */
async function cachedVerdicts(cacheDir: string): Promise<number> {
  let n = 0;
  for (const sub of await readdir(cacheDir).catch(() => [] as string[])) {
    n += (await readdir(join(cacheDir, sub))).filter((f) => f.endsWith('.json')).length;
  }
  return n;
}

/** Addresses of every object in a local store. */
async function objectsOf(store: LocalFolderStore): Promise<Set<string>> {
  const out = new Set<string>();
  const root = join(store.root, 'objects');
  for (const sub of await readdir(root)) {
    for (const rest of await readdir(join(root, sub))) out.add(`sha256:${sub}${rest}`);
  }
  return out;
}
