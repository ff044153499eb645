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
import type { LatestCheckpointInput, LatestCheckpointOutput } from '../activities/types.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { createTestEnv } from '../src/temporal/test-env.ts';
import { formatRetry, retriesInFlight } from '../src/client/activity-retries.ts';
import { workflowBundle } from '../workers/bundle.ts';
import { STALE_TEMP_MS } from '../workers/clean-store-temp.ts';
import { installTemporalLogging } from '../workers/logging.ts';
import { SCHEDULED_EVALUATION_WORKFLOW } from '../src/contracts/workflow-types.ts';
import { startWorkers } from '../workers/start-workers.ts';
import type { scheduledEvaluationWorkflow } from '../workflows/scheduled-evaluation.ts';
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

  it('a bookkeeping activity whose worker falls silent goes to another attempt after the heartbeat timeout, and status shows the retry', async () => {
    const queues = tinyTaskQueues('recovery');
    const workflowId = 'recovery-run/eval-schedule-tick';
    const silent = deferred();
    const retried = deferred<{ attempt: number }>();
    const release = deferred();
    // The real scheduled-evaluation workflow, whose first activity is the bookkeeping lookup
    // `latestCheckpoint` (the `fast` preset). Attempt 1 plays a lost worker: it holds the task and
    // says nothing (no heartbeat, no answer) until the worker shuts down. Attempt 2 heartbeats as
    // the production bookkeeping activities do, and answers once the test has looked at it.
    const answer = heartbeating(
      async (_: LatestCheckpointInput): Promise<LatestCheckpointOutput> => {
        retried.resolve({ attempt: Context.current().info.attempt });
        await release.promise;
        return {
          checkpoint: null,
          evaluated: false,
          configAddress: `sha256:${'0'.repeat(64)}`,
          judgeShards: 1,
          taskQueues: queues,
          suites: [],
        };
      },
      { everyMs: 200 },
    );
    const latestCheckpoint = async (input: LatestCheckpointInput): Promise<LatestCheckpointOutput> => {
      if (Context.current().info.attempt > 1) return answer(input);
      silent.resolve();
      await Context.current().cancelled;
      throw new Error('unreachable: cancellation rejects');
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: queues.workflow,
      workflowBundle: await workflowBundle(),
      activities: { latestCheckpoint },
      shutdownGraceTime: 100,
    });
    const heartbeatTimeoutSeconds = 2;
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof scheduledEvaluationWorkflow>(
        SCHEDULED_EVALUATION_WORKFLOW,
        {
          workflowId,
          taskQueue: queues.workflow,
          args: [{ trainRunId: 'recovery-run', timing: { heartbeatTimeoutSeconds } }],
        },
      );
      await silent.promise;
      // Nothing but the heartbeat timeout can end attempt 1: it neither answers nor fails.
      assert.equal((await retried.promise).attempt, 2);
      const retries = await retriesInFlight({ client: env.client, workflowId });
      assert.equal(retries.length, 1, JSON.stringify(retries));
      const retry = retries[0]!;
      assert.equal(retry.activity, 'latestCheckpoint');
      assert.equal(retry.attempt, 2);
      assert.equal(retry.state, 'started');
      assert.match(retry.lastFailure ?? '', /heartbeat/i);
      assert.match(
        formatRetry(retry),
        /^retry in flight: latestCheckpoint of recovery-run\/eval-schedule-tick, attempt 2 started; last failure: .*heartbeat/i,
      );
      release.resolve();
      return handle.result();
    });
    assert.equal(result.outcome, 'no-checkpoint');
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
