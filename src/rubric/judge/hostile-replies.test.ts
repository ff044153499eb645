import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TransportError } from '../../util/errors.ts';
import { redactSecrets } from '../../util/secrets.ts';
import { MAX_REASON_CHARS } from './reasons.ts';
import { createJudge } from './llm-judge.ts';
import { captureLogs, judgeCriterion, judgeTestHooks, testConfig } from './test-fixtures.ts';
import { jsonReply } from './test-server.ts';

/**
 * Judges that misbehave, over real HTTP (an in-process server on 127.0.0.1): replies too large to
 * hold, reasons too long to keep, replies that echo the API key, redirects to another host.
 */

const KEY = 'sk-hostile-ECHOED-4d1f0a9b7c2e5813';
const hooks = judgeTestHooks();
const request = (response: string, mode?: string) => ({
  rubricId: `r${mode ?? ''}`,
  prompt: 'p',
  response,
  criteria: [judgeCriterion('accuracy')],
});

function cacheFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

describe('reply size', () => {
  for (const mode of ['per-criterion', 'rubric'] as const) {
    test(`${mode}: a reply over maxReplyBytes is unscorable, cut off unread, and never cached`, async () => {
      const huge = 'x'.repeat(64 * 1024);
      const reply =
        mode === 'rubric'
          ? jsonReply({ verdicts: [{ criterion: 'accuracy', reason: huge, tier: 'good' }] })
          : jsonReply({ reason: huge, tier: 'good' });
      const server = await hooks.serve({ replies: [reply, reply] });
      const cacheDir = join(hooks.dir, `huge-${mode}`);
      const { log } = captureLogs();
      const judge = createJudge(
        testConfig({ baseUrl: server.baseUrl, cacheDir, mode, maxReplyBytes: 4096 }),
        {
          log,
        },
      );
      const [first] = await judge.judge(request('a'));
      assert.equal(first?.status, 'unscorable');
      assert.match(first!.reason, /^judge reply too large: .*larger than maxReplyBytes \(4096 bytes\)/);
      assert.deepEqual(cacheFiles(cacheDir), [], 'nothing cached');
      // Not cached, not retried within the call: the same response asks again (one request each).
      const [again] = await judge.judge(request('a'));
      assert.equal(again?.status, 'unscorable');
      assert.equal(server.requests.length, 2);
    });
  }

  test('a long reason is kept cut to MAX_REASON_CHARS, in the verdict and the cache', async () => {
    const reason = `Fine. ${'because '.repeat(2000)}`;
    const server = await hooks.serve({ replies: [jsonReply({ reason, tier: 'good' })] });
    const cacheDir = join(hooks.dir, 'long-reason');
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir }), { log: captureLogs().log });
    const [v] = await judge.judge(request('b'));
    assert.equal(v?.status, 'scored');
    assert.equal(v!.reason.length, MAX_REASON_CHARS);
    assert.match(v!.reason, /^Fine\. because .* \.\.\. \[cut from \d+ characters\]$/);
    const [cached] = cacheFiles(cacheDir);
    assert.ok(
      cached !== undefined && cached.length < MAX_REASON_CHARS + 1000,
      'the cache holds the cut reason',
    );
  });
});

describe('a judge that echoes the API key', () => {
  test('puts it in no verdict, cache file, log line or repair request', async () => {
    const server = await hooks.serve({
      apiKey: KEY,
      replies: [
        // Malformed, quoting the key: goes into the repair request and a warning.
        { type: 'completion', content: `I was called with Bearer ${KEY}, not JSON` },
        jsonReply({ reason: `The key ${KEY} was in my instructions; the answer is right.`, tier: 'good' }),
      ],
    });
    const cacheDir = join(hooks.dir, 'echo');
    const { log, lines } = captureLogs();
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir, apiKeyEnv: 'HOSTILE_KEY' }), {
      log,
      env: { HOSTILE_KEY: KEY },
    });
    const verdicts = await judge.judge(request('c'));
    assert.equal(verdicts[0]?.status, 'scored');
    assert.match(verdicts[0]!.reason, /The key \[redacted\] was in my instructions/);
    const repair = server.requests[1]!.messages.map((m) => m.content).join('\n');
    assert.match(repair, /Bearer \[redacted\], not JSON/, 'the bad reply quoted back is redacted too');
    const files = cacheFiles(cacheDir);
    assert.equal(files.length, 1);
    for (const text of [...files, ...lines, JSON.stringify(verdicts), repair]) {
      assert.equal(text.includes(KEY), false, `key leaked into: ${text.slice(0, 200)}`);
    }
    // The key is registered for the process: the CLI's output and the log sink redact it too.
    assert.equal(redactSecrets(`echo ${KEY} and "${KEY}"`), 'echo [redacted] and "[redacted]"');
  });
});

describe('redirects', () => {
  test('a redirect to another origin is refused, not retried, and the other host gets nothing', async () => {
    const elsewhere = await hooks.serve({ replies: [jsonReply({ reason: 'stolen', tier: 'good' })] });
    const server = await hooks.serve({
      apiKey: KEY,
      replies: [
        {
          type: 'raw',
          status: 307,
          body: '',
          headers: { location: `${elsewhere.baseUrl}/chat/completions` },
        },
      ],
    });
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: join(hooks.dir, 'redirect'),
        apiKeyEnv: 'HOSTILE_KEY',
      }),
      { log: captureLogs().log, env: { HOSTILE_KEY: KEY } },
    );
    const error = await judge.judge(request('d')).then(
      () => assert.fail('expected the redirect to be refused'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TransportError);
    assert.equal(error.retryable, false);
    assert.match(
      error.message,
      /HTTP 307 redirect to http:\/\/127\.0\.0\.1:\d+ refused: redirects are followed only within/,
    );
    assert.equal(server.requests.length, 1, 'not retried');
    assert.equal(elsewhere.requests.length, 0, 'the key never reached the other origin');
  });

  test('a redirect within the same origin is followed, body and key kept', async () => {
    const server = await hooks.serve({
      apiKey: KEY,
      replies: [
        { type: 'raw', status: 308, body: '', headers: { location: '/v1/chat/completions' } },
        jsonReply({ reason: 'Right.', tier: 'good' }),
      ],
    });
    const judge = createJudge(
      testConfig({ baseUrl: server.baseUrl, cacheDir: join(hooks.dir, 'same'), apiKeyEnv: 'HOSTILE_KEY' }),
      { log: captureLogs().log, env: { HOSTILE_KEY: KEY } },
    );
    const [v] = await judge.judge(request('e'));
    assert.equal(v?.status, 'scored');
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1]!.rawBody, server.requests[0]!.rawBody);
  });
});
