import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { evalSchedulePlan, MIN_EVERY_MS } from '../src/cli/commands/eval-schedule.ts';
import { formatDuration, parseDuration } from '../src/cli/duration.ts';
import type { LocalFolderStore } from '../src/store/local-store.ts';
import { runWorkflowIds } from '../src/contracts/workflow-ids.ts';
import { readMetrics } from '../src/train/read-metrics.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { storeRunConfig } from '../src/train/stored-config.ts';
import { ValidationError } from '../src/util/errors.ts';
import { WORKFLOWS_PATH, workflowBundle } from '../workers/bundle.ts';
import { startTrainingRun } from '../src/client/run-client.ts';
import {
  createEvalSchedule,
  deleteEvalSchedule,
  triggerEvalSchedule,
} from '../src/client/schedule-client.ts';
import type { scheduledEvaluationWorkflow } from '../workflows/scheduled-evaluation.ts';
import {
  SCHEDULED_EVALUATION_WORKFLOW,
  type ScheduledEvaluationResult,
} from '../src/contracts/workflow-types.ts';
import {
  type InProcessTemporal,
  prepareFile,
  startInProcessTemporal,
  tinyTaskQueues,
  type writeTinyModel,
  writeTinyRun,
} from './temporal-harness.ts';
import { workflowState } from '../src/client/history-waits.ts';

describe('eval-schedule durations and flags', () => {
  it('parses whole numbers with d, h, m, s, largest unit first', () => {
    assert.equal(parseDuration('30m', '--every'), 30 * 60_000);
    assert.equal(parseDuration('2h', '--every'), 2 * 3_600_000);
    assert.equal(parseDuration('1h30m', '--every'), 90 * 60_000);
    assert.equal(parseDuration('1d', '--every'), 86_400_000);
    assert.equal(parseDuration(' 45s ', '--every'), 45_000);
    assert.equal(parseDuration('1d2h3m4s', '--every'), 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4_000);
    assert.equal(formatDuration(90 * 60_000), '1h30m');
    assert.equal(formatDuration(parseDuration('1d2h3m4s', '--every')), '1d2h3m4s');
  });

  it('rejects anything else, naming the flag and what it expected', () => {
    for (const bad of ['', '30', 'm', '1.5h', '-2h', '30min', '2h1d', '1h 30m', '0m', 'often']) {
      assert.throws(
        () => parseDuration(bad, '--every'),
        (err: unknown) =>
          err instanceof ValidationError &&
          err.message.startsWith('--every: expected a duration such as 30m, 2h or 1h30m') &&
          err.message.endsWith(`got '${bad}'`),
        bad,
      );
    }
    assert.throws(
      () => parseDuration('30s', '--every', { minMs: MIN_EVERY_MS }),
      /--every: expected .* of at least 1m, got '30s'/,
    );
  });

  it('checks the flags before connecting', () => {
    const base = { delete: false, trigger: false };
    assert.deepEqual(evalSchedulePlan('r1', { ...base, every: '2h' }), {
      trainRunId: 'r1',
      everyMs: 7_200_000,
      trigger: false,
      remove: false,
    });
    assert.throws(() => evalSchedulePlan('r1', base), /expected --every <duration>/);
    assert.throws(
      () => evalSchedulePlan('r1', { ...base, delete: true, trigger: true }),
      /--delete: expected alone/,
    );
    assert.throws(
      () => evalSchedulePlan('a/b', { ...base, every: '2h' }),
      /<trainRunId>: expected a training run id/,
    );
    assert.throws(
      () => evalSchedulePlan('r1', { ...base, every: '2 hours' }),
      /--every: expected a duration/,
    );
  });
});

describe('scheduled evaluation on a Temporal Schedule (real server, tiny model, in-process workers)', () => {
  let env: TestWorkflowEnvironment;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let dir: string;
  let storeDir: string;
  let store: LocalFolderStore;
  const queues = tinyTaskQueues('schedule-test');

  let fixture: InProcessTemporal | undefined;

  before(async () => {
    fixture = await startInProcessTemporal({ queues, dirPrefix: 'anchorage-schedule-' });
    ({ env, model, dir, storeDir, store } = fixture);
  });
  after(async () => {
    await fixture?.stop();
  });

  const configFile = async (name: string, steps: number) => {
    const file = await writeTinyRun({
      dir: join(dir, name),
      queuePrefix: 'schedule-test',
      modelPath: model.path,
      storeDir,
      steps,
      // No evaluations of the run's own: the scheduled ones are the only ones.
      evaluationEvery: 0,
    });
    return prepareFile(file);
  };
  const trainRun = async (name: string, steps: number) => {
    const { file, text, prepared } = await configFile(name, steps);
    const run = await startTrainingRun({
      client: env.client,
      store,
      prepared,
      file,
      text,
      trainRunId: `${name}-run`,
      timing: { heartbeatTimeoutSeconds: 10 },
    });
    const result = await run.handle.result();
    assert.equal(result.completedSteps, steps);
    return run.trainRunId;
  };
  const evalRecords = async (trainRunId: string) => {
    return (await readMetrics({ store, trainRunId })).filter((r) => r.purpose === 'eval');
  };
  const runScheduled = (workflowId: string, trainRunId: string) =>
    env.client.workflow.start<typeof scheduledEvaluationWorkflow>(SCHEDULED_EVALUATION_WORKFLOW, {
      workflowId,
      taskQueue: queues.workflow,
      args: [{ trainRunId, timing: { heartbeatTimeoutSeconds: 10 } }],
    });

  it('the bundle has the scheduled evaluation workflow', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
    assert.match(code, /function scheduledEvaluationWorkflow\b/);
  });

  it("a schedule evaluates the run's latest checkpoint once: a second tick finds it evaluated; histories replay", async () => {
    const trainRunId = await trainRun('sched', 2);
    assert.deepEqual(await evalRecords(trainRunId), [], 'the run evaluated nothing itself');

    // Every day: no tick of its own falls within the test; `trigger` takes the actions.
    const schedule = await createEvalSchedule({
      client: env.client,
      trainRunId,
      everyMs: 86_400_000,
      timing: { heartbeatTimeoutSeconds: 10 },
    });
    assert.equal(schedule.scheduleId, `${trainRunId}/eval-schedule`);
    assert.equal(schedule.taskQueue, queues.workflow, "the run's orchestrator queue");
    assert.equal(schedule.created, true);
    const described = await schedule.handle.describe();
    assert.equal(described.policies.overlap, 'SKIP');
    assert.equal(described.action.workflowType, SCHEDULED_EVALUATION_WORKFLOW);

    const tick = async (): Promise<{ workflowId: string; result: ScheduledEvaluationResult }> => {
      const taken = (await schedule.handle.describe()).info.recentActions.length;
      await triggerEvalSchedule({ client: env.client, trainRunId });
      // The schedule's state is asked again each time its scheduler workflow (the server's own, on
      // the Temporal Server this project runs) completes a workflow task: the trigger arrives there
      // as a signal and the action is taken in a later task.
      const action = await workflowState({
        client: env.client,
        workflowId: `temporal-sys-scheduler:${schedule.scheduleId}`,
        what: 'the triggered action',
        state: async () => {
          const recent = (await schedule.handle.describe()).info.recentActions;
          return recent.length > taken ? recent.at(-1) : undefined;
        },
      });
      const { workflowId, firstExecutionRunId } = action.action.workflow;
      const handle = env.client.workflow.getHandle<typeof scheduledEvaluationWorkflow>(
        workflowId,
        firstExecutionRunId,
      );
      return { workflowId, result: await handle.result() };
    };

    const first = await tick();
    assert.deepEqual(
      { ...first.result, meanReward: typeof first.result.meanReward },
      {
        trainRunId,
        outcome: 'evaluated',
        step: 2,
        evaluationId: `${trainRunId}/scheduled-eval-2`,
        meanReward: 'number',
      },
    );
    const evaluation = await env.client.workflow.getHandle(`${trainRunId}/scheduled-eval-2`).describe();
    assert.equal(evaluation.status.name, 'COMPLETED');
    const records = await evalRecords(trainRunId);
    assert.deepEqual(
      records.map((r) => r.step),
      [2],
      'one evaluation record, for the last step',
    );
    assert.equal(records[0]!.metrics['eval/reward/mean'], first.result.meanReward);
    const recordRef = runRefs.metrics({ trainRunId, step: 2, purpose: 'eval' });
    const recordAddress = await store.getRef(recordRef);

    const second = await tick();
    assert.equal(second.result.outcome, 'already-evaluated');
    assert.equal(second.result.step, 2);
    assert.equal((await evalRecords(trainRunId)).length, 1, 'still one evaluation record');
    assert.equal(await store.getRef(recordRef), recordAddress);
    assert.equal(
      (await env.client.workflow.getHandle(`${trainRunId}/scheduled-eval-2`).describe()).runId,
      evaluation.runId,
      'the evaluation workflow ran once',
    );

    // Creating it again changes the interval of the same schedule.
    const again = await createEvalSchedule({ client: env.client, trainRunId, everyMs: 2 * 86_400_000 });
    assert.equal(again.created, false);
    const interval = (await again.handle.describe()).spec.intervals?.[0]?.every;
    assert.equal(interval, 2 * 86_400_000);

    const histories = await Promise.all(
      [first.workflowId, second.workflowId, `${trainRunId}/scheduled-eval-2`].map(async (workflowId) => ({
        workflowId,
        history: await env.client.workflow.getHandle(workflowId).fetchHistory(),
      })),
    );
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId} replays: ${r.error}`);
      replayed++;
    }
    assert.equal(replayed, 3);

    await deleteEvalSchedule({ client: env.client, trainRunId });
    await assert.rejects(
      env.client.schedule.getHandle(runWorkflowIds.evaluationSchedule(trainRunId)).describe(),
      ScheduleNotFoundError,
    );
    await assert.rejects(
      deleteEvalSchedule({ client: env.client, trainRunId }),
      /no schedule '.*eval-schedule'/,
    );
  });

  it('nothing to evaluate before the first checkpoint; two ticks at once evaluate a checkpoint once', async (t) => {
    const { file, text } = await configFile('empty', 2);
    await storeRunConfig({ store, trainRunId: 'empty-run', file, text });
    const empty = await (await runScheduled('empty-run/direct', 'empty-run')).result();
    assert.deepEqual(empty, {
      trainRunId: 'empty-run',
      outcome: 'no-checkpoint',
      step: null,
      evaluationId: null,
      meanReward: null,
    });

    const trainRunId = await trainRun('race', 1);
    const handles = await Promise.all([
      runScheduled(`${trainRunId}/direct-a`, trainRunId),
      runScheduled(`${trainRunId}/direct-b`, trainRunId),
    ]);
    const outcomes = (await Promise.all(handles.map((h) => h.result()))).map((r) => r.outcome).sort();
    t.diagnostic(`outcomes of two ticks at once: ${outcomes.join(', ')}`);
    assert.equal(outcomes.filter((o) => o === 'evaluated').length, 1, outcomes.join(', '));
    assert.ok(
      outcomes.every((o) => ['evaluated', 'already-evaluated', 'already-started'].includes(o)),
      outcomes.join(', '),
    );
    assert.deepEqual(
      (await evalRecords(trainRunId)).map((r) => r.step),
      [1],
    );
  });
});
