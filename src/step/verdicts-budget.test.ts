import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { StepRef } from '../contracts/step-refs.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { limitJudgeConfig } from '../rubric/judge/limits.ts';
import { type ChatServer, startChatServer } from '../rubric/judge/test-server.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import { ShardJudgement } from '../train/judgements.ts';
import { runRefs } from '../train/run-refs.ts';
import { storeRunConfig } from '../train/stored-config.ts';
import { putFixedRollouts } from '../train/testing/fixed-rollouts.ts';
import { writeTinyJudgeConfig } from '../train/testing/tiny-judge.ts';
import { writeTinyRun } from '../train/testing/tiny-run.ts';
import { stepPlan } from './plan.ts';
import { createRunLoader } from './run-context.ts';
import { judgeShard, shardJudgeLimits } from './verdicts.ts';

/**
 * A judge shard under a share of the run's judge budget and rate, on a real store with the tiny
 * run's judged criterion graded over HTTP by the scripted chat server (no Temporal: the workflow side
 * is test/temporal-judge-budget.test.ts).
 */

const ANSWERS = ['abc', 'def'];
/** Tokens the server reports per reply. */
const TOKENS = 50;

describe('judgeShard within an allowance (real store, judge over HTTP)', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let server: ChatServer;
  /** When each request reached the server (ms). */
  const arrivals: number[] = [];
  let store: LocalFolderStore;
  let storeDir: string;
  let configs = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-verdicts-budget-'));
    model = await writeTinyModel({ seed: 5 });
    storeDir = join(dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    server = await startChatServer({
      handler: () => {
        arrivals.push(performance.now());
        return {
          type: 'completion',
          content: JSON.stringify({ reason: 'read it', tier: 'pass' }),
          usage: { prompt_tokens: TOKENS - 10, completion_tokens: 10, total_tokens: TOKENS },
        };
      },
    });
  });
  after(async () => {
    await server?.close();
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** A run of its own (its verdict cache too), three prompts a step, its rollouts stored. */
  const setUp = async (judgeSettings: Record<string, unknown> = {}) => {
    const name = `run-${configs++}`;
    const judgeConfig = await writeTinyJudgeConfig({
      file: join(dir, name, 'judge.json'),
      baseUrl: server.baseUrl,
      cacheDir: join(dir, name, 'verdicts'),
    });
    const file = await writeTinyRun({
      dir: join(dir, name),
      queuePrefix: name,
      modelPath: model.path,
      storeDir,
      steps: 1,
      prompts: 3,
      promptsPerStep: 3,
      groupSize: ANSWERS.length,
      judgeConfig,
      judgeSettings,
    });
    const configAddress = await storeRunConfig({
      store,
      trainRunId: name,
      file,
      text: await readFile(file, 'utf8'),
    });
    const loadRun = createRunLoader({ store });
    const ref: StepRef = { trainRunId: name, configAddress, step: 1, purpose: 'train' };
    const planned = (await stepPlan({ run: await loadRun(configAddress), ref, store })).entries;
    const rollouts = await putFixedRollouts({
      store,
      promptIds: planned.map((e) => e.prompt.record.id),
      answers: ANSWERS,
    });
    const judge = (options: {
      shard?: number;
      shards?: number;
      allowance?: { requests?: number; tokens?: number };
      usedBefore?: { requests: number; tokens: number };
    }) =>
      judgeShard({
        store,
        ref,
        rollouts,
        shard: options.shard ?? 0,
        shards: options.shards ?? 1,
        run: () => loadRun(configAddress),
        verifiers: defaultVerifiers(),
        log: pino({ level: 'silent' }),
        progress: () => undefined,
        checkCancelled: () => undefined,
        ...(options.allowance === undefined ? {} : { allowance: options.allowance }),
        ...(options.usedBefore === undefined ? {} : { usedBefore: options.usedBefore }),
      });
    return { ref, judge };
  };

  it('a spent allowance commits nothing and scores nothing; judged again with more, it pays only for the rest', async () => {
    const { ref, judge } = await setUp();
    const before = server.requests.length;
    // 3 groups x 2 answers x 1 judged criterion: 6 requests in full. 3 allowed: group 0 (2) and
    // half of group 1.
    const cut = await judge({ allowance: { requests: 3 } });
    assert.ok('budgetSpent' in cut, 'the shard ran out');
    assert.deepEqual(cut, {
      budgetSpent: true,
      usage: { requests: 3, tokens: 3 * TOKENS },
      groupsDone: 1,
      groups: 3,
    });
    assert.equal(server.requests.length - before, 3, 'not one request past the allowance');
    assert.equal(
      await store.getRef(runRefs.judgement({ ...ref, shard: 0, shards: 1 })),
      undefined,
      'nothing committed: no criterion is scored unscorable (or 0) for want of budget',
    );

    const again = await judge({ allowance: { requests: 10 } });
    assert.ok(!('budgetSpent' in again));
    assert.equal(server.requests.length - before, 6, 'the 3 paid verdicts came from the cache');
    assert.deepEqual(again.usage, { requests: 3, tokens: 3 * TOKENS });
    const record = await store.getJson(again.judgement, ShardJudgement);
    const verdicts = record.groups.flatMap((g) => g.samples.flat().flatMap((r) => r.verdicts));
    assert.equal(verdicts.length, 3 * 2 * 3, 'three criteria on each of six answers');
    assert.ok(verdicts.every((v) => v.status === 'scored'));
  });

  it('what earlier attempts spent counts against the allowance and into the usage', async () => {
    const { judge } = await setUp();
    const before = server.requests.length;
    const cut = await judge({ allowance: { requests: 3 }, usedBefore: { requests: 2, tokens: 7 } });
    assert.ok('budgetSpent' in cut);
    assert.equal(server.requests.length - before, 1, 'one request left of three');
    assert.deepEqual(cut.usage, { requests: 3, tokens: 7 + TOKENS });
  });

  it('a token share: requests start while fewer tokens were spent', async () => {
    const { judge } = await setUp();
    const before = server.requests.length;
    // Judge concurrency is 4 by default, so the requests of a group go out together: the group's
    // two start at 0 tokens, then the share (60) is spent after them.
    const cut = await judge({ allowance: { tokens: 60 } });
    assert.ok('budgetSpent' in cut);
    assert.equal(server.requests.length - before, 2);
    assert.deepEqual(cut.usage, { requests: 2, tokens: 2 * TOKENS });
  });

  it('the run rate is shared by the shards running at once: together they keep it', async () => {
    const requestsPerSecond = 20;
    const { judge } = await setUp({ rateLimit: { requestsPerSecond } });
    const from = arrivals.length;
    const [a, b] = await Promise.all([judge({ shard: 0, shards: 2 }), judge({ shard: 1, shards: 2 })]);
    assert.ok(!('budgetSpent' in a!) && !('budgetSpent' in b!));
    const times = arrivals.slice(from);
    assert.equal(times.length, 6);
    // Each shard sends its n requests 2/rate apart; its first goes at once: (6 - 2) / rate at least.
    const spanMs = Math.max(...times) - Math.min(...times);
    assert.ok(spanMs >= ((times.length - 2) / requestsPerSecond) * 1000 - 5, `span ${spanMs} ms`);
  });
});

describe('shardJudgeLimits', () => {
  it("an attempt's judge gets its allowance less what earlier attempts spent, and its share of the rate", () => {
    assert.deepEqual(
      shardJudgeLimits({
        allowance: { requests: 10, tokens: 500 },
        usedBefore: { requests: 4, tokens: 900 },
        requestsPerSecond: 8,
        shards: 4,
      }),
      { requests: 6, tokens: 0, requestsPerSecond: 2 },
    );
    assert.deepEqual(
      shardJudgeLimits({
        allowance: undefined,
        usedBefore: { requests: 4, tokens: 0 },
        requestsPerSecond: undefined,
        shards: 2,
      }),
      {},
      'no budget, no rate: the judge config alone',
    );
  });

  it('limits tighten a judge config, never loosen it', () => {
    const config = {
      baseUrl: 'http://127.0.0.1:1/v1',
      model: 'm',
      mode: 'per-criterion' as const,
      temperature: 0,
      samples: 1,
      maxReplyBytes: 1 << 20,
      timeoutMs: 1000,
      maxRetries: 0,
      backoff: { initialMs: 1, multiplier: 2, maxMs: 1, jitter: 0, maxRetryAfterMs: 1 },
      concurrency: 4,
      requestBudget: 100,
      maxRequestsPerSecond: 3,
      cacheDir: '/tmp/x',
      responseFormat: 'off' as const,
    };
    const limited = limitJudgeConfig({
      config,
      limits: { requests: 500, tokens: 40, requestsPerSecond: 1.5 },
    });
    assert.equal(limited.requestBudget, 100);
    assert.equal(limited.tokenBudget, 40);
    assert.equal(limited.maxRequestsPerSecond, 1.5);
    assert.equal(limitJudgeConfig({ config, limits: { requestsPerSecond: 9 } }).maxRequestsPerSecond, 3);
  });
});
