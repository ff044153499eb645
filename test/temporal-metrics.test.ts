import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProgress } from '../src/client/history-waits.ts';
import type { TaskQueues } from '../src/contracts/task-queues.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { METRIC_NAMES as N } from '../src/telemetry/metric-names.ts';
import { type Exposition, parseExposition } from '../src/telemetry/testing/parse-exposition.ts';
import { readMetrics } from '../src/train/read-metrics.ts';
import { started, stopWorker } from '../workers/worker-process.ts';
import { type ProcessFixture, startProcessFixture } from './process-fixture.ts';
import { tinyTaskQueues, writeTinyRun } from './temporal-harness.ts';

const STEPS = 2;
const SHARDS = 2;
const PHASES = ['rollout', 'judge', 'rewards', 'update'] as const;

async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return parseExposition(await res.text());
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

describe('Prometheus metrics of a worker process (real server, all-in-one worker, tiny model, judge over HTTP)', () => {
  let fixture: ProcessFixture;
  let storeDir: string;
  let store: LocalFolderStore;
  let judgeConfig: string;
  const queues: TaskQueues = tinyTaskQueues('metrics-test');

  before(async () => {
    fixture = await startProcessFixture({ dirPrefix: 'anchorage-metrics-' });
    storeDir = join(fixture.dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    judgeConfig = await fixture.writeJudgeConfig({
      file: join(fixture.dir, 'judge.json'),
      cacheDir: join(fixture.dir, 'verdicts'),
    });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('serves its metrics and the Temporal runtime’s on one port; they move with each step and match the step records', async () => {
    const worker = fixture.spawn('all-in-one.ts', {
      ...fixture.workerEnv({ storeDir, queues }),
      ANCHORAGE_METRICS_PORT: '0',
      ANCHORAGE_METRICS_HOST: '127.0.0.1',
    });
    const served = await worker.line((l) => l.msg === 'metrics served');
    const url = served.url as string;
    assert.equal(served.temporal, true);
    await started(worker);
    assert.equal(
      worker.lines.filter((l) => l.msg === 'metrics served').length,
      1,
      'every role in the process shares one endpoint',
    );

    const idle = await scrape(url);
    for (const name of Object.values(N)) {
      assert.ok(idle.types.has(name) || idle.types.has(name.replace(/_total$/, '')), `${name} is served`);
    }
    assert.equal(idle.value(N.rolloutTokens, { purpose: 'train' }), 0);
    assert.equal(idle.value(N.checkpointCommits), 0);
    assert.equal(idle.value(N.rewardMean, { purpose: 'train' }), undefined, 'no reward before a step');

    const file = await writeTinyRun({
      dir: join(fixture.dir, 'run'),
      queuePrefix: 'metrics-test',
      modelPath: fixture.model.path,
      storeDir,
      steps: STEPS,
      prompts: 4,
      promptsPerStep: 2,
      maxNewTokens: 16,
      judgeConfig,
    });
    const run = await fixture.startRun({ file, store, trainRunId: 'metrics-run', judgeShards: SHARDS });

    // Step 1 is done (its metrics record committed, the workflow has seen it): the numbers have moved.
    await runProgress({
      client: fixture.client,
      trainRunId: run.trainRunId,
      what: 'step 1 done',
      until: (p) => p.completedSteps >= 1,
    });
    const during = await scrape(url);
    assert.ok(during.value(N.rolloutTokens, { purpose: 'train' })! > 0, 'tokens generated');
    assert.ok(during.value(N.rolloutDecodeSeconds, { purpose: 'train' })! > 0, 'decode time');
    assert.ok(during.value(N.rolloutPrefillSeconds, { purpose: 'train' })! > 0, 'prefill time');
    for (const phase of PHASES) {
      assert.ok(
        during.value(`${N.phaseSeconds}_count`, { phase, purpose: 'train' })! >= 1,
        `${phase} phase observed`,
      );
    }
    assert.ok(during.value(`${N.judgeCallSeconds}_count`)! > 0, 'judge calls timed');
    assert.ok(during.value(N.judgeRequests)! > 0, 'judge requests');
    assert.ok(during.value(N.verdictCacheMisses)! > 0, 'verdicts graded by the judge');
    assert.ok(during.value(N.checkpointCommits)! >= 1);
    assert.ok(during.value(N.lastStep, { purpose: 'train' })! >= 1);
    assert.ok(during.value(N.rewardMean, { purpose: 'train' }) !== undefined, 'a mean reward');
    assert.ok(during.value(`${N.stepSeconds}_count`, { purpose: 'train' })! >= 1);
    const temporal = during.samples.filter((s) => s.name.startsWith('temporal_'));
    assert.ok(temporal.length > 0, 'the Temporal runtime’s metrics are served on the same port');
    assert.ok(
      during.sum('temporal_activity_execution_latency_seconds_count') > 0,
      `activity latencies from the SDK: ${[...new Set(temporal.map((s) => s.name))].join(' ')}`,
    );

    const result = await run.handle.result();
    assert.deepEqual([result.status, result.completedSteps], ['completed', STEPS]);
    const end = await scrape(url);
    // Exactly what the step records say: each phase reported once, by the attempt that committed it.
    const records = (await readMetrics({ store, trainRunId: run.trainRunId })).filter(
      (r) => r.purpose === 'train',
    );
    assert.equal(records.length, STEPS);
    const total = (key: string) => records.reduce((a, r) => a + (r.metrics[key] ?? 0), 0);
    assert.equal(end.value(N.rolloutTokens, { purpose: 'train' }), total('rollout/new_tokens'));
    assert.equal(end.value(N.judgeRequests), total('judge/requests'));
    assert.equal(end.value(N.verdictCacheHits), total('judge/cache_hits'));
    assert.equal(end.value(N.verdictCacheMisses), total('judge/cache_misses'));
    assert.equal(end.value(N.checkpointCommits), STEPS);
    assert.equal(end.value(N.lastStep, { purpose: 'train' }), STEPS);
    assert.equal(end.value(N.rewardMean, { purpose: 'train' }), records.at(-1)!.metrics['reward/mean']);
    assert.equal(end.value(`${N.stepSeconds}_count`, { purpose: 'train' }), STEPS);
    assert.ok(close(end.value(`${N.stepSeconds}_sum`, { purpose: 'train' })!, total('time/step_s')));
    for (const phase of PHASES) {
      const count = end.value(`${N.phaseSeconds}_count`, { phase, purpose: 'train' });
      assert.equal(count, phase === 'judge' ? STEPS * SHARDS : STEPS, `${phase} observations`);
    }
    for (const [phase, key] of [
      ['rollout', 'time/rollout_s'],
      ['rewards', 'time/rewards_s'],
      ['update', 'time/update_s'],
    ] as const) {
      const sum = end.value(`${N.phaseSeconds}_sum`, { phase, purpose: 'train' })!;
      assert.ok(close(sum, total(key)), `${phase}: ${sum} s, the records say ${total(key)} s`);
    }

    // The endpoint goes with the worker: a graceful stop ends the process and frees the port.
    await stopWorker(worker);
    assert.equal(await worker.exited, 0);
    await assert.rejects(fetch(url));
  });
});
