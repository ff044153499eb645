import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { JudgeShardProgress } from '../src/contracts/activity-progress.ts';
import { writeTinyModel } from '../src/engine/testing/tiny-model.ts';
import type { ChatServer } from '../src/rubric/judge/test-server.ts';
import { stepPlan } from '../src/step/plan.ts';
import { createRunLoader } from '../src/step/run-context.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { storeRunConfig } from '../src/train/stored-config.ts';
import { putFixedRollouts } from '../src/train/testing/fixed-rollouts.ts';
import { startTinyJudge, writeTinyJudgeConfig } from '../src/train/testing/tiny-judge.ts';
import { writeTinyRun } from '../src/train/testing/tiny-run.ts';
import { createActivities, createActivityDeps } from './index.ts';
import type { JudgeRolloutsInput, JudgeRolloutsOutput, JudgeShardBudgetSpent } from './types.ts';

/**
 * The judge activity's spend across attempts, in the SDK's mock activity context: its heartbeats
 * carry what the judge has spent, and a retried attempt counts what its predecessor heartbeated
 * (against the allowance and into the usage it reports). A real store, the judge over HTTP.
 */
describe('judgeRollouts: the judge spend in heartbeats', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let judge: ChatServer;
  let input: JudgeRolloutsInput;
  let acts: ReturnType<typeof createActivities>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-judge-activity-'));
    model = await writeTinyModel({ seed: 5 });
    judge = await startTinyJudge();
    const storeDir = join(dir, 'store');
    const store = new LocalFolderStore({ root: storeDir });
    const judgeConfig = await writeTinyJudgeConfig({
      file: join(dir, 'judge.json'),
      baseUrl: judge.baseUrl,
      cacheDir: join(dir, 'verdicts'),
    });
    const file = await writeTinyRun({
      dir,
      queuePrefix: 'judge-activity',
      modelPath: model.path,
      storeDir,
      steps: 1,
      prompts: 3,
      promptsPerStep: 3,
      groupSize: 2,
      judgeConfig,
    });
    const configAddress = await storeRunConfig({
      store,
      trainRunId: 'judge-activity',
      file,
      text: await readFile(file, 'utf8'),
    });
    const ref = { trainRunId: 'judge-activity', configAddress, step: 1, purpose: 'train' as const };
    const run = await createRunLoader({ store })(configAddress);
    const promptIds = (await stepPlan({ run, ref, store })).entries.map((e) => e.prompt.record.id);
    const rollouts = await putFixedRollouts({ store, promptIds, answers: ['abc', 'def'] });
    input = { ...ref, rollouts, shard: 0, shards: 1 };
    acts = createActivities(createActivityDeps({ store, heartbeatEveryMs: 5 }));
  });
  after(async () => {
    await judge?.close();
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const call = (env: MockActivityEnvironment, i: JudgeRolloutsInput) =>
    env.run(acts.judgeRollouts, i) as Promise<JudgeRolloutsOutput | JudgeShardBudgetSpent>;

  it('a retried attempt counts what the last heartbeat of the one before said it spent', async () => {
    const before = judge.requests.length;
    // The earlier attempt heartbeated 2 requests before its worker died; 3 are allowed in all.
    const retry = new MockActivityEnvironment({
      attempt: 2,
      heartbeatDetails: { shard: 0, groupsDone: 1, groups: 3, usage: { requests: 2, tokens: 240 } },
    });
    const out = await call(retry, { ...input, allowance: { requests: 3 } });
    assert.ok('budgetSpent' in out);
    assert.equal(judge.requests.length - before, 1, 'one request left');
    assert.equal(out.usage.requests, 3, 'the earlier attempt is counted');
  });

  it('heartbeats carry the spend so far; details that are not a spend are ignored', async () => {
    const beats: JudgeShardProgress[] = [];
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: 'not a spend' });
    env.on('heartbeat', (d: JudgeShardProgress | undefined) => {
      if (d !== undefined) beats.push(d);
    });
    const before = judge.requests.length;
    const out = await call(env, input);
    assert.ok(!('budgetSpent' in out));
    const paid = judge.requests.length - before;
    assert.deepEqual(out.usage?.requests, paid, 'nothing counted from the bad details');
    assert.ok(beats.length > 0);
    assert.deepEqual(beats[0], { shard: 0, groupsDone: 0, groups: 3, usage: { requests: 0, tokens: 0 } });
    assert.ok(beats.every((b, i) => i === 0 || b.usage.requests >= beats[i - 1]!.usage.requests));
  });
});
