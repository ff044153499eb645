import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransportError } from '../../util/errors.ts';
import { createJudge } from './llm-judge.ts';
import { captureLogs, judgeCriterion, recordingSleep, judgeTestHooks, testConfig } from './test-fixtures.ts';
import { type ChatServer, jsonReply, type ScriptedReply } from './test-server.ts';

const GOOD = jsonReply({ reason: 'Correct.', tier: 'good' });
const request = (criteria = [judgeCriterion('accuracy')]) => ({
  rubricId: 'test/rubric',
  prompt: 'Name the capital of France.',
  response: 'Paris.',
  criteria,
});

let server: ChatServer | undefined;
const hooks = judgeTestHooks();
const { log } = captureLogs();

function isTransport(retryable: boolean, pattern: RegExp) {
  return (e: unknown) => e instanceof TransportError && e.retryable === retryable && pattern.test(e.message);
}

describe('transport errors', () => {
  test('a reply slower than timeoutMs is aborted and the retry succeeds', async () => {
    server = await hooks.serve({ replies: [{ type: 'hang' }, GOOD] });
    const judge = createJudge(
      testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/slow`, timeoutMs: 1000 }),
      { log },
    );
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'scored');
    assert.equal(server.requests.length, 2);
    assert.equal(judge.stats().retries, 1);
  });

  test('500 then success', async () => {
    server = await hooks.serve({ replies: [{ type: 'error', status: 500 }, GOOD] });
    const { sleeps, deps } = recordingSleep();
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: `${hooks.dir}/500`,
        backoff: { initialMs: 400, multiplier: 2, maxMs: 10_000, jitter: 0.5, maxRetryAfterMs: 60_000 },
      }),
      { log, ...deps, random: () => 0.5 },
    );
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'scored');
    assert.equal(server.requests.length, 2);
    assert.deepEqual(sleeps, [300], 'first retry waits initialMs with half of it jittered: 200 + 200 * 0.5');
  });

  test('429 with Retry-After waits what the server asked', async () => {
    server = await hooks.serve({
      replies: [
        { type: 'error', status: 429, headers: { 'retry-after': '2' } },
        {
          type: 'error',
          status: 429,
          headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() },
        },
        GOOD,
      ],
    });
    const { sleeps, deps } = recordingSleep();
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/429` }), {
      log,
      ...deps,
    });
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'scored');
    assert.equal(server.requests.length, 3);
    assert.equal(sleeps[0], 2000);
    assert.ok(sleeps[1]! > 55_000 && sleeps[1]! <= 60_000, `HTTP-date Retry-After: waited ${sleeps[1]} ms`);
  });

  test('a Retry-After beyond maxRetryAfterMs hands the retry to the caller', async () => {
    server = await hooks.serve({
      replies: [{ type: 'error', status: 429, headers: { 'retry-after': '3600' } }],
    });
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/429-long` }), {
      log,
    });
    await assert.rejects(judge.judge(request()), isTransport(true, /asks to wait 3600000 ms/));
    assert.equal(server.requests.length, 1);
  });

  test('persistent failure throws a retryable TransportError after maxRetries, and caches nothing', async () => {
    server = await hooks.serve({
      handler: () => ({ type: 'error', status: 503, body: 'upstream overloaded' }),
    });
    const cacheDir = `${hooks.dir}/persistent`;
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir, maxRetries: 2 }), { log });
    await assert.rejects(
      judge.judge(request()),
      isTransport(true, /failed after 3 attempts: HTTP 503: upstream overloaded/),
    );
    assert.equal(server.requests.length, 3);
    assert.equal(existsSync(cacheDir), false, 'no verdict was cached');
  });

  test('a 4xx other than 429 is not retried and is not retryable', async () => {
    server = await hooks.serve({
      handler: () => ({ type: 'error', status: 400, body: '{"error":{"message":"model not found"}}' }),
    });
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/400` }), { log });
    await assert.rejects(
      judge.judge(request()),
      isTransport(false, /was refused: HTTP 400: .*model not found/),
    );
    assert.equal(server.requests.length, 1);
  });

  test('a 200 that is not a chat completion is a transport error, retried', async () => {
    server = await hooks.serve({
      replies: [{ type: 'raw', status: 200, body: '<html>gateway</html>' }, GOOD],
    });
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/html` }), {
      log,
    });
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'scored');
    assert.equal(server.requests.length, 2);
  });

  test('a refused connection is retried and then thrown as TransportError', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const judge = createJudge(
      testConfig({ baseUrl: `http://127.0.0.1:${port}/v1`, cacheDir: `${hooks.dir}/refused`, maxRetries: 1 }),
      { log },
    );
    await assert.rejects(
      judge.judge(request()),
      isTransport(true, /failed after 2 attempts: network error: .*ECONNREFUSED/),
    );
    assert.equal(judge.stats().requests, 2);
  });

  test('criteria that succeeded are cached even when another one fails in transport', async () => {
    server = await hooks.serve({
      handler: (req) =>
        req.messages[1]!.content.includes('Criterion "doomed"') ? { type: 'error', status: 502 } : GOOD,
    });
    const config = testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/partial`, maxRetries: 1 });
    const judge = createJudge(config, { log });
    await assert.rejects(
      judge.judge(request([judgeCriterion('fine'), judgeCriterion('doomed')])),
      TransportError,
    );
    const before = server.requests.length;
    await assert.rejects(
      judge.judge(request([judgeCriterion('fine'), judgeCriterion('doomed')])),
      TransportError,
    );
    assert.equal(
      server.requests.length - before,
      2,
      'the retry re-asks only the failed criterion (2 attempts)',
    );
  });
});

describe('concurrency', () => {
  test('requests in flight never exceed the limit shared by the client', async () => {
    // Each reply is held until two requests are in flight (so the limit is reached for sure), then a
    // little longer, so a client that let a third one through would be caught with three.
    const held = async (): Promise<ScriptedReply> => {
      for (let waited = 0; (server?.inFlight ?? 0) < 2 && waited < 2000; waited += 2) await sleep(2);
      await sleep(20);
      return jsonReply({ reason: 'ok', tier: 'fair' });
    };
    server = await hooks.serve({ handler: held });
    const judge = createJudge(
      // A long timeout: on a loaded machine a held request must not time out and be sent again.
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: `${hooks.dir}/conc`,
        concurrency: 2,
        timeoutMs: 120_000,
      }),
      { log },
    );
    const criteria = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => judgeCriterion(id));
    // Two judge calls at once share the same limit.
    const [x, y] = await Promise.all([
      judge.judge(request(criteria.slice(0, 3))),
      judge.judge(request(criteria.slice(3))),
    ]);
    assert.equal([...x, ...y].filter((v) => v.status === 'scored').length, 6);
    assert.equal(server.requests.length, 6);
    assert.equal(server.maxInFlight, 2);
  });
});
