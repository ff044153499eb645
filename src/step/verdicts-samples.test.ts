import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { StepRef } from '../contracts/step-refs.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { type ChatServer, jsonReply, startChatServer } from '../rubric/judge/test-server.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import { ShardJudgement } from '../train/judgements.ts';
import { stepMetrics } from '../train/metrics.ts';
import { storeRunConfig } from '../train/stored-config.ts';
import { putFixedRollouts } from '../train/testing/fixed-rollouts.ts';
import { writeTinyJudgeConfig } from '../train/testing/tiny-judge.ts';
import { writeTinyRun } from '../train/testing/tiny-run.ts';
import { stepPlan } from './plan.ts';
import { createRunLoader } from './run-context.ts';
import { judgeShard } from './verdicts.ts';

/**
 * A judge shard whose judge asks twice per criterion (`samples: 2`), on a real store with the tiny
 * run's judged criterion (pass/fail) graded over HTTP by the scripted chat server: the samples count
 * against the shard's share of the run's budget, and the shard's stats carry the judge's
 * disagreement with itself, exactly.
 */

/** The judge always passes the first answer; the second it passes and fails in turn. */
const ANSWERS = ['calm words', 'split words'];

describe('judgeShard with a judge sampled twice per criterion (real store, judge over HTTP)', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let server: ChatServer;
  let store: LocalFolderStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-verdicts-samples-'));
    model = await writeTinyModel({ seed: 5 });
    store = new LocalFolderStore({ root: join(dir, 'store') });
    let split = 0;
    server = await startChatServer({
      handler: (request) => {
        const text = request.messages.map((m) => m.content).join('\n');
        // Each judged response of the split answer is asked twice in a row: one pass, one fail.
        const tier = text.includes('split words') && split++ % 2 === 1 ? 'fail' : 'pass';
        return jsonReply({ reason: `the reply reads as ${tier}`, tier });
      },
    });
  });
  after(async () => {
    await server?.close();
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('every sample counts against the allowance; the committed stats hold the exact disagreement', async () => {
    const judgeConfig = await writeTinyJudgeConfig({
      file: join(dir, 'judge.json'),
      baseUrl: server.baseUrl,
      cacheDir: join(dir, 'verdicts'),
      settings: { samples: 2, temperature: 1 },
    });
    const file = await writeTinyRun({
      dir,
      queuePrefix: 'verdicts-samples',
      modelPath: model.path,
      storeDir: join(dir, 'store'),
      steps: 1,
      prompts: 3,
      promptsPerStep: 3,
      groupSize: ANSWERS.length,
      judgeConfig,
    });
    const configAddress = await storeRunConfig({
      store,
      trainRunId: 'samples',
      file,
      text: await readFile(file, 'utf8'),
    });
    const loadRun = createRunLoader({ store });
    const ref: StepRef = { trainRunId: 'samples', configAddress, step: 1, purpose: 'train' };
    const planned = (await stepPlan({ run: await loadRun(configAddress), ref, store })).entries;
    const rollouts = await putFixedRollouts({
      store,
      promptIds: planned.map((e) => e.prompt.record.id),
      answers: ANSWERS,
    });
    const judge = (allowance: { requests: number }) =>
      judgeShard({
        store,
        ref,
        rollouts,
        shard: 0,
        shards: 1,
        run: () => loadRun(configAddress),
        verifiers: defaultVerifiers(),
        log: pino({ level: 'silent' }),
        progress: () => undefined,
        checkCancelled: () => undefined,
        allowance,
      });

    // 3 groups x 2 answers x 1 judged criterion x 2 samples: 12 requests in full. With 5, group 0
    // (4) and one sample of group 1.
    const cut = await judge({ requests: 5 });
    assert.ok('budgetSpent' in cut);
    assert.equal(cut.usage.requests, 5);
    assert.equal(server.requests.length, 5, 'not one sample past the allowance');

    const done = await judge({ requests: 20 });
    assert.ok(!('budgetSpent' in done));
    assert.equal(server.requests.length, 12, 'the 5 paid samples came from the cache');
    assert.equal(done.usage.requests, 7);
    assert.equal(done.stats.judgeRequests, 7);
    assert.equal(done.stats.judgeVerdicts, 6, 'one verdict per judged criterion, however many samples');

    const record = await store.getJson(done.judgement, ShardJudgement);
    const judged = record.groups.flatMap((g) =>
      g.samples.map((perRubric) => perRubric[0]!.verdicts.find((v) => v.criterionId === 'judged-tone')!),
    );
    assert.deepEqual(
      judged.map((v) => [v.status === 'scored' && v.tierScore, v.samples?.length]),
      [
        [1, 2],
        [0.5, 2],
        [1, 2],
        [0.5, 2],
        [1, 2],
        [0.5, 2],
      ],
    );
    // The calm answer's three verdicts agree; the split answer's three each spread 1 (std 0.5).
    assert.deepEqual(record.stats.disagreement, {
      compared: 6,
      disagreeing: 3,
      spreadSum: 3,
      stdSum: 1.5,
      byCriterion: { 'judged-tone': { compared: 6, disagreeing: 3 } },
    });
    assert.deepEqual(record.stats, done.stats);

    const metrics = stepMetrics({
      purpose: 'train',
      rollouts: {
        groups: 3,
        responses: 6,
        promptTokens: 0,
        newTokens: 0,
        truncated: 0,
        resumedGroups: 0,
        ms: 0,
      },
      judge: [done.stats],
      rewards: {
        responses: 6,
        scored: 6,
        mean: 0.5,
        std: 0,
        min: 0.5,
        max: 0.5,
        vetoed: 0,
        groups: 3,
        groupsDropped: 0,
        trainable: 6,
        rubricMeans: {},
        criterionMeans: {},
        ms: 0,
      },
    });
    assert.equal(metrics['judge/multi_sampled_criteria'], 6);
    assert.equal(metrics['judge/disagreement_rate'], 0.5);
    assert.equal(metrics['judge/mean_spread'], 0.5);
    assert.equal(metrics['judge/mean_sample_std'], 0.25);
    assert.equal(metrics['judge/criterion/judged-tone/disagreement_rate'], 0.5);
  });
});
