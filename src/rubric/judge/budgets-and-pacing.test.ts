import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createJudge } from './llm-judge.ts';
import { captureLogs, judgeCriterion, judgeTestHooks, testConfig } from './test-fixtures.ts';
import { jsonReply } from './test-server.ts';

/** The judge's token budget and request pacing, over real HTTP to the scripted chat server. */

const request = (ids: string[]) => ({
  rubricId: 'test/rubric',
  prompt: 'Name a colour.',
  response: 'Blue.',
  criteria: ids.map((id) => judgeCriterion(id)),
});

const hooks = judgeTestHooks();
const { log } = captureLogs();
const usage = { prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 };

describe('token budget', () => {
  test('a request starts only while fewer tokens were used; the rest are unscorable, not cached', async () => {
    const server = await hooks.serve({ handler: () => jsonReply({ reason: 'ok', tier: 'good' }, { usage }) });
    const config = testConfig({
      baseUrl: server.baseUrl,
      cacheDir: `${hooks.dir}/tokens`,
      concurrency: 1,
      tokenBudget: 100,
    });
    const judge = createJudge(config, { log });
    const verdicts = await judge.judge(request(['a', 'b', 'c', 'd', 'e']));
    // 0, 40 and 80 tokens used before the first three: each below 100, so each starts; then 120.
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['scored', 'scored', 'scored', 'unscorable', 'unscorable'],
    );
    assert.equal(verdicts[3]!.reason, 'token budget exhausted');
    assert.equal(server.requests.length, 3);
    const stats = judge.stats();
    assert.equal(stats.promptTokens + stats.completionTokens, 120, 'one request past the line, no more');
    assert.equal(stats.budgetRefusals, 2);
    const fresh = await createJudge({ ...config, tokenBudget: 1000 }, { log }).judge(request(['d']));
    assert.equal(fresh[0]!.status, 'scored', 'the budget verdict was not cached');
  });

  test('the request budget counts its refusals too', async () => {
    const server = await hooks.serve({ handler: () => jsonReply({ reason: 'ok', tier: 'good' }) });
    const judge = createJudge(
      testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/requests`, requestBudget: 1 }),
      { log },
    );
    const verdicts = await judge.judge(request(['a', 'b', 'c']));
    assert.equal(verdicts.filter((v) => v.reason === 'request budget exhausted').length, 2);
    assert.equal(judge.stats().budgetRefusals, 2);
  });
});

describe('maxRequestsPerSecond', () => {
  test('requests are spaced 1/rate apart on the judge clock, concurrency notwithstanding', async () => {
    const server = await hooks.serve({ handler: () => jsonReply({ reason: 'ok', tier: 'good' }) });
    // A clock that stands still and sleeps that return at once: each wait is what the pacing asked
    // for, measured from the same moment.
    const waits: number[] = [];
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: `${hooks.dir}/paced`,
        concurrency: 4,
        maxRequestsPerSecond: 5,
      }),
      { log, now: () => 10_000, sleep: async (ms) => void waits.push(ms) },
    );
    const verdicts = await judge.judge(request(['a', 'b', 'c', 'd', 'e', 'f']));
    assert.ok(verdicts.every((v) => v.status === 'scored'));
    assert.equal(server.requests.length, 6);
    // The first goes at once; the other five wait 200, 400, ... ms after the same moment.
    assert.deepEqual(
      waits.sort((a, b) => a - b),
      [200, 400, 600, 800, 1000],
    );
  });
});
