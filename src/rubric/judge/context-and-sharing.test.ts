import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isContextOverflow } from './chat-client.ts';
import { createJudge } from './llm-judge.ts';
import { captureLogs, judgeCriterion, judgeTestHooks, testConfig } from './test-fixtures.ts';
import { type ChatServer, jsonReply } from './test-server.ts';

const request = (criteria = [judgeCriterion('accuracy')], response = 'Water boils at 100 C.') => ({
  rubricId: 'test/rubric',
  prompt: 'What is the boiling point of water at sea level?',
  response,
  criteria,
});

// Bodies real servers send when a request exceeds the model's context.
const OVERFLOW_BODIES = [
  // vLLM
  '{"object":"error","message":"This model\'s maximum context length is 4096 tokens. However, you requested 5120 tokens.","type":"BadRequestError","code":400}',
  // OpenAI
  '{"error":{"message":"This model\'s maximum context length is 8192 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}',
  // llama.cpp server
  '{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}',
  // Ollama-style proxies
  '{"error":"prompt is too long"}',
];

let server: ChatServer | undefined;
const hooks = judgeTestHooks();
const { log } = captureLogs();

describe('requests that do not fit the judge model', () => {
  test('context-overflow replies are recognised; other 400s are not', () => {
    for (const body of OVERFLOW_BODIES) assert.ok(isContextOverflow(400, body), body);
    assert.ok(isContextOverflow(413, 'Request Entity Too Large: input is too long'));
    assert.ok(!isContextOverflow(400, '{"error":"unknown model test-judge"}'));
    assert.ok(!isContextOverflow(500, OVERFLOW_BODIES[0]!));
  });

  for (const mode of ['per-criterion', 'rubric'] as const) {
    test(`${mode} mode: the criterion is unscorable with the server's reason, not retried, not cached`, async () => {
      const dir = `${hooks.dir}/overflow-${mode}`;
      server = await hooks.serve({
        replies: [{ type: 'error', status: 400, body: OVERFLOW_BODIES[0]! }],
      });
      const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: dir, mode }), { log });
      const [verdict] = await judge.judge(request());
      assert.equal(verdict?.status, 'unscorable');
      assert.match(verdict?.reason ?? '', /do not fit the judge's context: .*maximum context length is 4096/);
      assert.equal(server.requests.length, 1, 'not retried');
      assert.equal(judge.stats().unscorable, 1);
      const cached = (() => {
        try {
          return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json'));
        } catch {
          return [];
        }
      })();
      assert.deepEqual(cached, [], 'nothing cached: a larger model may take it');
    });
  }
});

describe('concurrent identical requests', () => {
  test('two calls for the same uncached verdict send one request and get the same verdict', async () => {
    server = await hooks.serve({
      replies: [jsonReply({ reason: 'Correct.', tier: 'good' }, { delayMs: 300 })],
    });
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/shared` }), {
      log,
    });
    const [a, b] = await Promise.all([judge.judge(request()), judge.judge(request())]);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(a, b);
    assert.equal(a?.[0]?.status, 'scored');
    const stats = judge.stats();
    assert.equal(stats.cacheMisses, 1);
    assert.equal(stats.cacheHits, 1, 'the shared verdict counts as a hit');
  });

  test('different responses are graded separately; a failure reaches every caller that waited on it', async () => {
    server = await hooks.serve({
      replies: [
        jsonReply({ reason: 'Correct.', tier: 'good' }, { delayMs: 200 }),
        jsonReply({ reason: 'Wrong.', tier: 'poor' }, { delayMs: 200 }),
      ],
    });
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/distinct` }), {
      log,
    });
    const [a, b] = await Promise.all([
      judge.judge(request(undefined, 'Water boils at 100 C.')),
      judge.judge(request(undefined, 'Water boils at 50 C.')),
    ]);
    assert.equal(server.requests.length, 2);
    // Replies go out in arrival order, so which response gets which is up to the race.
    const label = (v: (typeof a)[number] | undefined) => (v?.status === 'scored' ? v.tierLabel : v?.status);
    assert.deepEqual([label(a[0]), label(b[0])].sort(), ['good', 'poor']);

    await server.close();
    server = await hooks.serve({
      replies: [{ type: 'error', status: 401, body: 'bad key' }],
    });
    const failing = createJudge(
      testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/failing`, maxRetries: 0 }),
      { log },
    );
    const results = await Promise.allSettled([failing.judge(request()), failing.judge(request())]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(server.requests.length, 1, 'the waiting call did not send its own request');
  });
});
