import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { LocalFolderStore } from '../src/store/local-store.ts';
import { SuiteResultRecord } from '../src/eval/run-suites.ts';
import type { MetricsRecord } from '../src/train/metrics.ts';
import { readMetrics } from '../src/train/read-metrics.ts';
import { spawnAnchorage } from '../src/cli/testing/cli-runner.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { TINY_CHAT_TEMPLATE, writeShortIfevalPrompts } from '../src/train/testing/tiny-run.ts';
import { workflowBundle } from '../workers/bundle.ts';
import { startTrainingRun } from '../src/client/run-client.ts';
import { SCHEDULED_EVALUATION_WORKFLOW } from '../src/contracts/workflow-types.ts';
import type { scheduledEvaluationWorkflow } from '../workflows/scheduled-evaluation.ts';
import {
  checkpointChain,
  type InProcessTemporal,
  prepareFile,
  runHistories,
  startInProcessTemporal,
  tinyTaskQueues,
  type writeTinyModel,
  writeTinyRun,
} from './temporal-harness.ts';

const IFEVAL_KEYS = ['promptStrict', 'promptLoose', 'instructionStrict', 'instructionLoose', 'truncated'];

/**
 * `evaluation.suites` through Temporal: each evaluation of a run (its own, and a scheduled one) runs
 * the suite on the checkpoint on a rollout worker and writes `eval/<suite>/<key>` metrics; a suite
 * that fails is left out of the metrics (named in the record's failures) and training goes on.
 */
describe('evaluation suites in runs (real server, tiny model, in-process workers)', () => {
  let env: TestWorkflowEnvironment;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let dir: string;
  let storeDir: string;
  let store: LocalFolderStore;
  const queues = tinyTaskQueues('suites-test');
  let fixture: InProcessTemporal | undefined;

  before(async () => {
    fixture = await startInProcessTemporal({
      queues,
      dirPrefix: 'anchorage-suites-',
      chatTemplate: TINY_CHAT_TEMPLATE,
    });
    ({ env, model, dir, storeDir, store } = fixture);
  });
  after(async () => {
    await fixture?.stop();
  });

  const startRun = async (options: {
    name: string;
    steps: number;
    evaluationEvery: number;
    at?: 'every' | 'last' | 'ends';
  }) => {
    const runDir = join(dir, options.name);
    const prompts = await writeShortIfevalPrompts(join(dir, `${options.name}-ifeval.jsonl`));
    const file = await writeTinyRun({
      dir: runDir,
      queuePrefix: 'suites-test',
      modelPath: model.path,
      storeDir,
      steps: options.steps,
      evaluationEvery: options.evaluationEvery,
      evaluation: {
        suites: [
          {
            name: 'ifeval',
            prompts,
            limit: 2,
            maxNewTokens: 8,
            ...(options.at === undefined ? {} : { at: options.at }),
          },
        ],
      },
    });
    const { prepared, text } = await prepareFile(file);
    const run = await startTrainingRun({
      client: env.client,
      store,
      prepared,
      file,
      text,
      trainRunId: `${options.name}-run`,
      timing: { heartbeatTimeoutSeconds: 10 },
    });
    assert.deepEqual(run.input.evaluationSuites, ['ifeval']);
    return { ...run, prompts };
  };
  const evalRecords = async (trainRunId: string) => {
    return (await readMetrics({ store, trainRunId })).filter((r) => r.purpose === 'eval');
  };
  const suiteKeys = (r: MetricsRecord) => Object.keys(r.metrics).filter((k) => k.startsWith('eval/ifeval/'));

  it("a run's evaluations put the suite's numbers into its metrics, for each evaluated checkpoint; histories replay", async () => {
    const run = await startRun({ name: 'suites', steps: 2, evaluationEvery: 2 });
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    const chain = await checkpointChain({ store, trainRunId: run.trainRunId, model: model.path });

    const evals = await evalRecords(run.trainRunId);
    assert.deepEqual(
      evals.map((r) => r.step),
      [0, 2],
      'the base policy and the last checkpoint',
    );
    for (const record of evals) {
      assert.equal(record.failures, undefined);
      for (const k of IFEVAL_KEYS) {
        const value = record.metrics[`eval/ifeval/${k}`];
        assert.ok(value !== undefined && value >= 0 && value <= 1, `step ${record.step}: eval/ifeval/${k}`);
      }
      assert.ok(record.metrics['eval/reward/mean'] !== undefined, 'the held-out prompts are scored too');
      const stored = await store.getJson(
        (await store.getRef(
          runRefs.evalSuite({ trainRunId: run.trainRunId, step: record.step, suite: 'ifeval' }),
        ))!,
        SuiteResultRecord,
      );
      assert.equal(stored.checkpoint, record.step === 0 ? null : chain[1]!.address);
      assert.equal(stored.spec.prompts, 2, 'limit: the first 2 prompts');
      assert.equal(stored.spec.maxNewTokens, 8);
      assert.equal(stored.computed, 2);
    }

    const histories = await runHistories({
      client: env.client,
      trainRunId: run.trainRunId,
      firstRunId: run.handle.firstExecutionRunId,
    });
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId}: ${r.error}`);
      replayed++;
    }
    assert.equal(replayed, histories.length);
  });

  it("a suite `at: last` runs only at the run's last evaluation, `at: ends` also on the base policy", async () => {
    for (const [at, withSuite] of [
      ['last', [3]],
      ['ends', [0, 3]],
    ] as const) {
      const run = await startRun({ name: `at-${at}`, steps: 3, evaluationEvery: 1, at });
      assert.deepEqual(run.input.evaluationSuitesAt, { ifeval: at });
      const result = await run.handle.result();
      assert.equal(result.status, 'completed');
      const evals = await evalRecords(run.trainRunId);
      assert.deepEqual(
        evals.map((r) => r.step),
        [0, 1, 2, 3],
        'every checkpoint is evaluated on the held-out prompts',
      );
      for (const record of evals) {
        assert.equal(record.failures, undefined);
        assert.ok(record.metrics['eval/reward/mean'] !== undefined);
        const expected = (withSuite as readonly number[]).includes(record.step)
          ? IFEVAL_KEYS.map((k) => `eval/ifeval/${k}`)
              .concat('eval/ifeval/prompts')
              .sort()
          : [];
        assert.deepEqual(suiteKeys(record).sort(), expected, `at ${at}, step ${record.step}`);
      }
      // `anchorage status` lists them under the reward table.
      const status = await spawnAnchorage(['status', run.trainRunId, '--store', storeDir], {
        TEMPORAL_ADDRESS: env.address,
      });
      assert.equal(status.code, 0, status.stderr);
      const listed = status.stdout.split('\n').filter((l) => /^ *\d+ {2}ifeval {6}.*promptLoose /.test(l));
      assert.deepEqual(
        listed.map((l) => Number(l.trim().split(/\s+/)[0])),
        withSuite,
        status.stdout,
      );
    }
  });

  it('a suite that fails is left out of the metrics (never 0) and named; training goes on', async () => {
    const run = await startRun({ name: 'broken', steps: 1, evaluationEvery: 1 });
    // The prompt file was checked when the run started; gone now, every evaluation's suite fails.
    await rm(run.prompts);
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.completedSteps, 1);
    const evals = await evalRecords(run.trainRunId);
    assert.deepEqual(
      evals.map((r) => r.step),
      [0, 1],
    );
    for (const record of evals) {
      assert.deepEqual(suiteKeys(record), [], `step ${record.step}: no eval/ifeval/ metrics`);
      assert.equal(record.failures?.length, 1);
      assert.equal(record.failures?.[0]?.what, 'eval/ifeval');
      assert.equal(record.failures?.[0]?.type, 'ValidationError');
      assert.match(record.failures?.[0]?.message ?? '', /broken-ifeval\.jsonl/);
      assert.ok(record.metrics['eval/reward/mean'] !== undefined, 'the rest of the evaluation is kept');
    }
  });

  it("a scheduled evaluation (anchorage eval-schedule's tick) runs the run's suites on its latest checkpoint", async () => {
    const run = await startRun({ name: 'scheduled', steps: 1, evaluationEvery: 0 });
    await run.handle.result();
    assert.deepEqual(await evalRecords(run.trainRunId), [], 'the run evaluated nothing itself');
    const tick = await env.client.workflow.execute<typeof scheduledEvaluationWorkflow>(
      SCHEDULED_EVALUATION_WORKFLOW,
      {
        workflowId: `${run.trainRunId}/eval-schedule-tick`,
        taskQueue: queues.workflow,
        args: [{ trainRunId: run.trainRunId, timing: { heartbeatTimeoutSeconds: 10 } }],
      },
    );
    assert.equal(tick.outcome, 'evaluated');
    assert.equal(tick.step, 1);
    const [record] = await evalRecords(run.trainRunId);
    assert.equal(record?.step, 1);
    assert.deepEqual(
      suiteKeys(record!).sort(),
      IFEVAL_KEYS.map((k) => `eval/ifeval/${k}`)
        .concat('eval/ifeval/prompts')
        .sort(),
    );
    const evaluation = await env.client.workflow.getHandle(tick.evaluationId!).result();
    assert.deepEqual(evaluation.suites, { done: ['ifeval'], failed: [] });
  });
});
