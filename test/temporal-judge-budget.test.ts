import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { raiseJudgeBudget, startTrainingRun } from '../src/client/run-client.ts';
import { runProgress } from '../src/client/history-waits.ts';
import { runWorkflowIds } from '../src/contracts/workflow-ids.ts';
import { progressQuery } from '../src/contracts/messages.ts';
import type { StepResult } from '../src/contracts/workflow-types.ts';
import type { ChatServer } from '../src/rubric/judge/test-server.ts';
import { ShardJudgement } from '../src/train/judgements.ts';
import { RewardsRecord } from '../src/train/rewards.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { startTinyJudge, writeTinyJudgeConfig } from '../src/train/testing/tiny-judge.ts';
import { Worker } from '@temporalio/worker';
import { runHistories } from '../src/client/run-histories.ts';
import { workflowBundle } from '../workers/bundle.ts';
import {
  type InProcessTemporal,
  prepareFile,
  startInProcessTemporal,
  tinyTaskQueues,
  writeTinyRun,
} from './temporal-harness.ts';
import { spawnAnchorage } from '../src/cli/testing/cli-runner.ts';

/** The Web UI's "current details" of a workflow (the SDK's built-in metadata query). */
async function currentDetails(client: Client, workflowId: string): Promise<string> {
  const metadata = await client.workflow
    .getHandle(workflowId)
    .query<{ currentDetails?: string | null }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

const BUDGET = 10;
const RAISE = 40;
const STEPS = 3;

describe('a run-wide judge budget (real server, tiny model, judge over HTTP, in-process workers)', () => {
  const queues = tinyTaskQueues('judge-budget');
  let fixture: InProcessTemporal | undefined;
  let judge: ChatServer;

  before(async () => {
    fixture = await startInProcessTemporal({ queues, dirPrefix: 'anchorage-judge-budget-' });
    judge = await startTinyJudge();
  });
  after(async () => {
    await fixture?.stop();
    await judge?.close();
  });

  it('spent mid-run, the run pauses without scoring the rest; raised, it completes within the budget', async (t) => {
    const { env, model, dir, storeDir, store } = fixture!;
    const client = env.client;
    const judgeConfig = await writeTinyJudgeConfig({
      file: join(dir, 'judge.json'),
      baseUrl: judge.baseUrl,
      cacheDir: join(dir, 'verdicts'),
    });
    // 2 prompts x 4 answers a step, one judged criterion each: about 8 requests a step, so a budget
    // of 10 runs out in step 2.
    const file = await writeTinyRun({
      dir: join(dir, 'run'),
      queuePrefix: 'judge-budget',
      modelPath: model.path,
      storeDir,
      steps: STEPS,
      prompts: 4,
      promptsPerStep: 2,
      maxNewTokens: 12,
      judgeConfig,
      judgeSettings: { runBudget: { requests: BUDGET } },
      // A new execution after every step: the budget and its spend must be carried over.
      continueAsNewEvery: 1,
    });
    const { prepared, text } = await prepareFile(file);
    const { trainRunId, handle } = await startTrainingRun({
      client,
      store,
      prepared,
      file,
      text,
      trainRunId: 'budget-run',
      judgeShards: 2,
    });

    const paused = await runProgress({
      client,
      trainRunId,
      what: 'the pause for the judge budget',
      until: (p) => p.judge?.waiting === true,
    });
    const step = paused.currentStep!;
    const used = paused.judge!.used.requests;
    t.diagnostic(`paused in step ${step} after ${used} judge requests`);
    assert.equal(paused.status, 'paused');
    assert.ok(step >= 2, `step 1 fits the budget (paused in step ${step})`);
    assert.equal(paused.completedSteps, step - 1);
    assert.ok(used <= BUDGET, `${used} requests, never more than the budget`);
    assert.equal(judge.requests.length, used, 'the workflow counted every request the judge received');
    assert.deepEqual(paused.judge!.budget, { requests: BUDGET });
    assert.ok(paused.continuedAsNew >= 1, 'the spend was carried into a new execution');

    // Visible: the query, the Web UI details, `anchorage status`.
    const line = `paused: judge budget spent (${used} of ${BUDGET} requests)`;
    assert.ok((await currentDetails(client, trainRunId)).startsWith(`**${trainRunId}**: ${line}`));
    const cliEnv = { TEMPORAL_ADDRESS: env.address };
    const status = await spawnAnchorage(['status', trainRunId, '--store', storeDir], cliEnv);
    assert.equal(status.code, 0);
    assert.match(status.stdout, new RegExp(`${trainRunId}: ${line.replace(/[()]/g, '\\$&')}`));

    // Nothing of the paused step is scored: no rewards, and its shards are not all committed.
    const key = { trainRunId, step, purpose: 'train' as const };
    assert.equal(await store.getRef(runRefs.rewards(key)), undefined, 'no rewards for the unjudged step');
    const committedShards = await Promise.all(
      [0, 1].map((shard) => store.getRef(runRefs.judgement({ ...key, shard, shards: 2 }))),
    );
    assert.ok(committedShards.includes(undefined), 'a shard that ran out committed nothing');

    // A raise the run cannot take is refused, and changes nothing.
    await assert.rejects(raiseJudgeBudget(client, trainRunId, { addTokens: 100 }), /no token limit/);
    const stillPaused = await client.workflow.getHandle(trainRunId).query(progressQuery);
    assert.deepEqual(stillPaused.judge, paused.judge);

    // Raised by the CLI: the run goes on and completes.
    const raised = await spawnAnchorage(['budget', trainRunId, '--add-requests', String(RAISE)], cliEnv);
    assert.equal(raised.code, 0);
    assert.match(
      raised.stdout,
      new RegExp(`${trainRunId}: judge budget \\(${used} of ${BUDGET + RAISE} requests\\)`),
    );
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.completedSteps, STEPS);

    const end = await client.workflow.getHandle(trainRunId).query(progressQuery);
    assert.deepEqual(end.judge?.budget, { requests: BUDGET + RAISE });
    assert.equal(end.judge?.used.requests, judge.requests.length, 'every request counted');
    assert.ok(judge.requests.length <= BUDGET + RAISE, 'never more requests than the budget (bound: 0 over)');
    assert.equal(end.judge?.waiting, false);

    // The paused step ran again from its committed rollouts, and every step's rewards are real:
    // no verdict cut short by a budget, no reward NaN or missing because of one.
    const again = (await client.workflow
      .getHandle(runWorkflowIds.step(trainRunId, step))
      .result()) as StepResult;
    assert.equal(again.reused.rollouts, true, 'the rollouts were not sampled again');
    for (let s = 1; s <= STEPS; s++) {
      const k = { trainRunId, step: s, purpose: 'train' as const };
      for (const shard of [0, 1]) {
        const address = await store.getRef(runRefs.judgement({ ...k, shard, shards: 2 }));
        assert.ok(address !== undefined, `step ${s} shard ${shard} committed`);
        const record = await store.getJson(address, ShardJudgement);
        const verdicts = record.groups.flatMap((g) => g.samples.flat().flatMap((r) => r.verdicts));
        assert.ok(verdicts.length > 0);
        assert.ok(
          verdicts.every((v) => v.status === 'scored'),
          `step ${s} shard ${shard}: every verdict scored (none unscorable for want of budget)`,
        );
      }
      const rewards = await store.getJson((await store.getRef(runRefs.rewards(k)))!, RewardsRecord);
      assert.equal(rewards.samples.length, 8);
      for (const sample of rewards.samples) {
        assert.ok(sample.reward !== null && Number.isFinite(sample.reward), `step ${s}: a real reward`);
        assert.equal(sample.unscorableReason, undefined);
      }
    }

    // A worker that crashes rebuilds the run from its history: every execution (the pause and the
    // raise included) replays against the workflow code, so the spend it rebuilds is the one above.
    const histories = await runHistories({ client, trainRunId, firstRunId: handle.firstExecutionRunId });
    assert.ok(histories.length >= STEPS + 1);
    for await (const replay of Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      histories,
    )) {
      assert.equal(replay.error, undefined, `${replay.workflowId}: ${replay.error}`);
    }
  });
});
