import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type {
  RubricShardInput,
  RubricShardProgress,
  RubricShardResult,
} from '../src/contracts/rubric-generation.ts';
import { formatPromptLines } from '../src/data/jsonl-source.ts';
import { PromptRecord } from '../src/data/prompt-record.ts';
import { JudgeConfig } from '../src/rubric/judge/config.ts';
import { type ChatServer, startChatServer } from '../src/rubric/judge/test-server.ts';
import { generatedPath, readRejects } from '../src/rubric-authoring/generated-file.ts';
import { shardJudgeConfig } from '../src/rubric-authoring/generate-shard.ts';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { createActivities, createActivityDeps } from './index.ts';

/**
 * The rubric shard activity in the SDK's mock activity context, over a real store and the scripted
 * chat server: it generates its slice only, skips what is written, heartbeats after every prompt,
 * stops between prompts once cancelled, and reads the key from the worker's environment.
 */

const KEY_ENV = 'GENERATOR_KEY';
const SECRET = 'sk-shard-activity-2b7d';
const tiers = [
  { label: 'missing', description: 'not done' },
  { label: 'done', description: 'fully done' },
];

describe('generateRubricShard: one shard of a durable generation', () => {
  let dir: string;
  let server: ChatServer;
  let store: LocalFolderStore;
  let acts: ReturnType<typeof createActivities>;
  let job: RubricShardInput['job'];
  const prompts = Array.from({ length: 5 }, (_, i) =>
    PromptRecord.parse({ id: `p${i}`, prompt: `[prompt-${i}] Name ${i + 2} colours.` }),
  );
  const asked = (): number[] =>
    server.requests.map((r) => Number(/\[prompt-(\d+)\]/.exec(r.rawBody)?.[1] ?? -1));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rubric-shard-'));
    server = await startChatServer({
      apiKey: SECRET,
      handler: (request) => {
        const n = /\[prompt-(\d+)\]/.exec(request.rawBody)?.[1];
        return {
          type: 'completion',
          content: JSON.stringify({
            title: `Colours ${n}`,
            criteria: [
              {
                description: `Names ${n} colours.`,
                importance: 'essential',
                tiers,
                evaluator: 'judge',
                params: '{}',
              },
            ],
          }),
        };
      },
    });
    store = new LocalFolderStore({ root: join(dir, 'store') });
    acts = createActivities(
      createActivityDeps({ store, heartbeatEveryMs: 60_000, env: { [KEY_ENV]: SECRET } }),
    );
    const stored = await store.putBytes(new TextEncoder().encode(formatPromptLines(prompts)));
    job = {
      prompts: { address: stored.address, count: prompts.length },
      judgeConfig: JudgeConfig.parse({
        baseUrl: server.baseUrl,
        model: 'scripted-model',
        apiKeyEnv: KEY_ENV,
        cacheDir: join(dir, 'cache'),
        maxRetries: 0,
        responseFormat: 'json_schema',
      }),
      outDir: join(dir, 'out'),
      verifierNames: [],
      reference: null,
      threshold: 0.5,
      bounds: null,
    };
  });
  after(async () => {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const shard = (start: number, end: number, outDir = job.outDir): RubricShardInput => ({
    generationId: 'gen-test',
    job: { ...job, outDir },
    shard: start,
    start,
    end,
    requestsPerSecond: 1000,
  });
  const runShard = async (env: MockActivityEnvironment, input: RubricShardInput) =>
    (await env.run(acts.generateRubricShard, input)) as RubricShardResult;

  it('generates its slice, skips what is written, heartbeats after every prompt', async () => {
    const out = join(dir, 'slice');
    await new MockActivityEnvironment().run(acts.generateRubricShard, shard(2, 3, out));
    const env = new MockActivityEnvironment();
    const beats: RubricShardProgress[] = [];
    env.on('heartbeat', (d: RubricShardProgress) => beats.push(d));
    const from = server.requests.length;
    const result = await runShard(env, shard(1, 4, out));
    assert.deepEqual(result, {
      shard: 1,
      generated: 2,
      skipped: 1,
      rejected: 0,
      failed: 0,
      unasked: 0,
      failedPrompts: [],
      requests: 2,
      used: { requests: 2, tokens: result.used.tokens },
    });
    assert.ok(result.used.tokens > 0, 'the tokens the server reported');
    assert.deepEqual(asked().slice(from), [1, 3], 'p2 was written before: not asked');
    assert.deepEqual(
      beats.filter((b) => b.done > 0).map((b) => [b.done, b.generated, b.skipped]),
      [
        [1, 1, 0],
        [2, 1, 1],
        [3, 2, 1],
      ],
    );
    for (const i of [1, 2, 3]) assert.ok(existsSync(generatedPath(out, `p${i}`)));
    for (const i of [0, 4]) assert.equal(existsSync(generatedPath(out, `p${i}`)), false);
  });

  it('keeps to its allowance: exactly that many requests, the rest unasked with nothing written; a rerun with more asks only those', async () => {
    const out = join(dir, 'allowance');
    const from = server.requests.length;
    const result = await runShard(new MockActivityEnvironment(), {
      ...shard(0, 5, out),
      allowance: { requests: 2 },
    });
    assert.deepEqual(asked().slice(from), [0, 1], 'two requests reached the server');
    assert.deepEqual(
      [result.generated, result.skipped, result.failed, result.unasked, result.unaskedFrom],
      [2, 0, 0, 3, 2],
    );
    assert.equal(result.used.requests, 2);
    for (const i of [2, 3, 4]) assert.equal(existsSync(generatedPath(out, `p${i}`)), false);
    assert.deepEqual(readRejects(out), []);

    const again = await runShard(new MockActivityEnvironment(), {
      ...shard(0, 5, out),
      allowance: { requests: 10 },
    });
    assert.deepEqual(asked().slice(from), [0, 1, 2, 3, 4], 'the rerun asked p2, p3, p4 only');
    assert.deepEqual(
      [again.generated, again.skipped, again.unasked, again.unaskedFrom],
      [3, 2, 0, undefined],
    );
  });

  it("a retry counts its predecessor's heartbeated spend against the allowance and in what it reports", async () => {
    const out = join(dir, 'retry');
    const env = new MockActivityEnvironment({
      attempt: 2,
      heartbeatDetails: {
        shard: 0,
        done: 1,
        prompts: 5,
        generated: 1,
        skipped: 0,
        rejected: 0,
        failed: 0,
        unasked: 0,
        requests: 2,
        tokens: 300,
      } satisfies RubricShardProgress,
    });
    const beats: RubricShardProgress[] = [];
    env.on('heartbeat', (d: RubricShardProgress) => beats.push(d));
    const from = server.requests.length;
    const result = await runShard(env, { ...shard(0, 5, out), allowance: { requests: 3 } });
    assert.deepEqual(asked().slice(from), [0], 'the allowance less the earlier spend: one request');
    assert.deepEqual([result.generated, result.unasked, result.unaskedFrom, result.requests], [1, 4, 1, 1]);
    const tokensNow = result.used.tokens - 300;
    assert.ok(tokensNow > 0);
    assert.deepEqual(result.used, { requests: 3, tokens: 300 + tokensNow });
    // Every heartbeat carries the shard's spend, the earlier attempt's included.
    assert.deepEqual(
      [beats[0]!.requests, beats[0]!.tokens],
      [2, 300],
      'the first beat, before any request: what the earlier attempt spent',
    );
    assert.deepEqual([beats.at(-1)!.requests, beats.at(-1)!.tokens], [3, 300 + tokensNow]);
  });

  it('stops between prompts once cancelled: the prompts after are not asked', async () => {
    const out = join(dir, 'cancel');
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (d: RubricShardProgress | undefined) => {
      if (d?.done === 1) env.cancel('WORKER_SHUTDOWN');
    });
    const from = server.requests.length;
    await assert.rejects(env.run(acts.generateRubricShard, shard(0, 5, out)), CancelledFailure);
    assert.deepEqual(asked().slice(from), [0]);
    assert.ok(existsSync(generatedPath(out, 'p0')));
  });

  it('refuses prompts that do not match the count the generation was started with', async () => {
    const input = shard(0, 1);
    await assert.rejects(
      new MockActivityEnvironment().run(acts.generateRubricShard, {
        ...input,
        job: { ...input.job, prompts: { ...input.job.prompts, count: 6 } },
      }),
      /hold 5 prompts; the generation counts 6/,
    );
  });
});

describe('shardJudgeConfig: the shard pacing and budget', () => {
  const base = { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', cacheDir: '/tmp/c' };
  it("paces at the lower of the config's rate and the shard's share; null keeps the config's", () => {
    const config = JudgeConfig.parse({ ...base, maxRequestsPerSecond: 6 });
    assert.equal(shardJudgeConfig({ judgeConfig: config, requestsPerSecond: 2 }).maxRequestsPerSecond, 2);
    assert.equal(shardJudgeConfig({ judgeConfig: config, requestsPerSecond: 9 }).maxRequestsPerSecond, 6);
    assert.equal(shardJudgeConfig({ judgeConfig: config, requestsPerSecond: null }).maxRequestsPerSecond, 6);
    const unpaced = JudgeConfig.parse(base);
    assert.equal(shardJudgeConfig({ judgeConfig: unpaced, requestsPerSecond: 3 }).maxRequestsPerSecond, 3);
  });
  it("budgets: the lower of the config's and the allowance less the earlier attempts' spend (at least 0)", () => {
    const config = JudgeConfig.parse({ ...base, requestBudget: 50, tokenBudget: 9000 });
    const limited = (
      allowance: { requests?: number; tokens?: number },
      used = { requests: 4, tokens: 100 },
    ) => shardJudgeConfig({ judgeConfig: config, requestsPerSecond: null, allowance, usedBefore: used });
    assert.deepEqual(
      [
        limited({ requests: 10, tokens: 1000 }).requestBudget,
        limited({ requests: 10, tokens: 1000 }).tokenBudget,
      ],
      [6, 900],
    );
    assert.equal(limited({ requests: 80 }).requestBudget, 50, "the config's is lower");
    assert.equal(limited({ requests: 80 }).tokenBudget, 9000);
    assert.equal(limited({ requests: 3 }).requestBudget, 0, 'spent before: nothing left');
    assert.equal(shardJudgeConfig({ judgeConfig: config, requestsPerSecond: null }).requestBudget, 50);
  });
  it('refuses a config that is not a judge config, naming the field', () => {
    assert.throws(
      () => shardJudgeConfig({ judgeConfig: { ...base, baseUrl: 'ftp://x' }, requestsPerSecond: null }),
      /field baseUrl|baseUrl/,
    );
  });
});
