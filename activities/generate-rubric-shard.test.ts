import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { RubricShardInput, RubricShardProgress } from '../src/contracts/rubric-generation.ts';
import { formatPromptLines } from '../src/data/jsonl-source.ts';
import { PromptRecord } from '../src/data/prompt-record.ts';
import { JudgeConfig } from '../src/rubric/judge/config.ts';
import { type ChatServer, startChatServer } from '../src/rubric/judge/test-server.ts';
import { generatedPath } from '../src/rubric-authoring/generated-file.ts';
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

  it('generates its slice, skips what is written, heartbeats after every prompt', async () => {
    const out = join(dir, 'slice');
    await new MockActivityEnvironment().run(acts.generateRubricShard, shard(2, 3, out));
    const env = new MockActivityEnvironment();
    const beats: RubricShardProgress[] = [];
    env.on('heartbeat', (d: RubricShardProgress) => beats.push(d));
    const from = server.requests.length;
    const result = await env.run(acts.generateRubricShard, shard(1, 4, out));
    assert.deepEqual(result, {
      shard: 1,
      generated: 2,
      skipped: 1,
      rejected: 0,
      failed: 0,
      failedPrompts: [],
      requests: 2,
    });
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

describe('shardJudgeConfig: the shard pacing', () => {
  const base = { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', cacheDir: '/tmp/c' };
  it("paces at the lower of the config's rate and the shard's share; null keeps the config's", () => {
    const config = JudgeConfig.parse({ ...base, maxRequestsPerSecond: 6 });
    assert.equal(shardJudgeConfig({ judgeConfig: config, requestsPerSecond: 2 }).maxRequestsPerSecond, 2);
    assert.equal(shardJudgeConfig({ judgeConfig: config, requestsPerSecond: 9 }).maxRequestsPerSecond, 6);
    assert.equal(shardJudgeConfig({ judgeConfig: config, requestsPerSecond: null }).maxRequestsPerSecond, 6);
    const unpaced = JudgeConfig.parse(base);
    assert.equal(shardJudgeConfig({ judgeConfig: unpaced, requestsPerSecond: 3 }).maxRequestsPerSecond, 3);
  });
  it('refuses a config that is not a judge config, naming the field', () => {
    assert.throws(
      () => shardJudgeConfig({ judgeConfig: { ...base, baseUrl: 'ftp://x' }, requestsPerSecond: null }),
      /field baseUrl|baseUrl/,
    );
  });
});
