import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { heartbeating } from '../activities/heartbeat.ts';
import type {
  RubricGenerationInput,
  RubricShardInput,
  RubricShardResult,
} from '../src/contracts/rubric-generation.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { createTestEnv } from '../src/temporal/test-env.ts';
import { formatRetry, retriesInFlight } from '../src/client/activity-retries.ts';
import { workflowBundle } from '../workers/bundle.ts';
import { STALE_TEMP_MS } from '../workers/clean-store-temp.ts';
import { installTemporalLogging } from '../workers/logging.ts';
import { RUBRIC_GENERATION_WORKFLOW } from '../src/contracts/workflow-types.ts';
import { startWorkers } from '../workers/start-workers.ts';
import type { rubricGenerationWorkflow } from '../workflows/rubric-generation.ts';
import { testWorkerSettings, tinyTaskQueues } from './temporal-harness.ts';

const { EventType, TimeoutType } = proto.temporal.api.enums.v1;

/** A promise with its resolver, to wait on an event instead of polling for it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('recovery from a lost worker', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;
  before(async () => {
    installTemporalLogging();
    env = await createTestEnv();
    dir = await mkdtemp(join(tmpdir(), 'anchorage-recovery-'));
  });
  after(async () => {
    await env?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  it('an activity whose worker falls silent goes to another attempt after the heartbeat timeout, and status shows the retry', async () => {
    // Rollouts, judge shards, policy updates and rubric-generation shards are ordinary activities on
    // their queues, heartbeating (bookkeeping runs as local activities in the workflow's worker, whose
    // loss the failpoint tests cover). Here the real rubric-generation workflow's one shard on the
    // judge queue: attempt 1 plays a lost worker, holding the task and saying nothing (no heartbeat,
    // no answer) until the worker shuts down; attempt 2 heartbeats as the production activities do,
    // and answers once the test has looked at it.
    const queue = tinyTaskQueues('recovery').judge;
    const workflowId = 'recovery-generation';
    const silent = deferred();
    const retried = deferred<{ attempt: number }>();
    const release = deferred();
    const answer = heartbeating(
      async (input: RubricShardInput): Promise<RubricShardResult> => {
        retried.resolve({ attempt: Context.current().info.attempt });
        await release.promise;
        return {
          shard: input.shard,
          generated: 0,
          skipped: 1,
          rejected: 0,
          failed: 0,
          unasked: 0,
          failedPrompts: [],
          requests: 0,
          used: { requests: 0, tokens: 0 },
        };
      },
      { everyMs: 200 },
    );
    const generateRubricShard = async (input: RubricShardInput): Promise<RubricShardResult> => {
      if (Context.current().info.attempt > 1) return answer(input);
      silent.resolve();
      await Context.current().cancelled;
      throw new Error('unreachable: cancellation rejects');
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: queue,
      workflowBundle: await workflowBundle(),
      activities: { generateRubricShard },
      shutdownGraceTime: 100,
    });
    const heartbeatTimeoutSeconds = 2;
    const input: RubricGenerationInput = {
      job: {
        prompts: { address: `sha256:${'0'.repeat(64)}`, count: 1 },
        judgeConfig: {},
        outDir: join(dir, 'rubrics'),
        verifierNames: [],
        reference: null,
        threshold: 0.8,
        bounds: null,
      },
      shardSize: 1,
      parallelShards: 1,
      requestsPerSecond: null,
      taskQueues: { workflow: queue, rollout: queue, judge: queue, trainer: queue },
      timing: { heartbeatTimeoutSeconds },
      shardsPerRun: 10,
    };
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof rubricGenerationWorkflow>(
        RUBRIC_GENERATION_WORKFLOW,
        { workflowId, taskQueue: queue, args: [input] },
      );
      await silent.promise;
      // Nothing but the heartbeat timeout can end attempt 1: it neither answers nor fails.
      assert.equal((await retried.promise).attempt, 2);
      const retries = await retriesInFlight({ client: env.client, workflowId });
      assert.equal(retries.length, 1, JSON.stringify(retries));
      const retry = retries[0]!;
      assert.equal(retry.activity, 'generateRubricShard');
      assert.equal(retry.attempt, 2);
      assert.equal(retry.state, 'started');
      assert.match(retry.lastFailure ?? '', /heartbeat/i);
      assert.match(
        formatRetry(retry),
        /^retry in flight: generateRubricShard of recovery-generation, attempt 2 started; last failure: .*heartbeat/i,
      );
      release.resolve();
      return handle.result();
    });
    assert.deepEqual([result.shards, result.skipped], [1, 1]);
    // The history names the cause: attempt 2 started after a heartbeat timeout, not a start-to-close one.
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const started = (history.events ?? []).filter(
      (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
    );
    assert.equal(started.length, 1);
    const attrs = started[0]!.activityTaskStartedEventAttributes!;
    assert.equal(attrs.attempt, 2);
    assert.equal(attrs.lastFailure?.timeoutFailureInfo?.timeoutType, TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
    // Once nothing is retried, status has nothing to show.
    assert.deepEqual(await retriesInFlight({ client: env.client, workflowId }), []);
  });

  it('a starting worker removes the temporary files killed writers left in the store, and keeps recent ones', async () => {
    const storeDir = join(dir, 'store');
    const tmp = join(storeDir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const stale = join(tmp, '4242-left-by-a-killed-writer');
    const recent = join(tmp, '4243-being-written');
    await writeFile(stale, 'partial');
    await writeFile(recent, 'partial');
    const old = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    await utimes(stale, old, old);
    const workers = await startWorkers({
      roles: ['judge'],
      settings: testWorkerSettings({ address: env.address, storeDir, taskQueues: tinyTaskQueues('cleanup') }),
      store: new LocalFolderStore({ root: storeDir }),
    });
    try {
      await assert.rejects(stat(stale), { code: 'ENOENT' });
      assert.ok((await stat(recent)).isFile());
    } finally {
      await workers.shutdown();
    }
  });
});
