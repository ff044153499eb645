import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ValidationError } from '../../util/errors.ts';
import { createJudge, createJudgeFromFile } from './llm-judge.ts';
import { captureLogs, judgeCriterion, judgeTestHooks, testConfig } from './test-fixtures.ts';
import { type ChatServer, jsonReply, type RecordedRequest } from './test-server.ts';

const request = (criteria = [judgeCriterion('accuracy')]) => ({
  rubricId: 'test/rubric',
  prompt: 'What is the boiling point of water at sea level?',
  response: 'Water boils at 100 degrees Celsius at sea level.',
  criteria,
});

/** Criterion ids listed in a rubric-mode user message, in order. */
function criteriaAsked(req: RecordedRequest): string[] {
  const user = req.messages.find((m) => m.role === 'user')!.content;
  return [...user.matchAll(/^Criterion \d+ "([^"]+)"/gm)].map((m) => m[1]!);
}

let server: ChatServer | undefined;
const hooks = judgeTestHooks();
const { log } = captureLogs();

function cacheDir(name: string): string {
  return `${hooks.dir}/${name}`;
}

describe('per-criterion mode', () => {
  test('a good reply becomes a scored verdict on the tier it names', async () => {
    server = await hooks.serve({
      replies: [
        jsonReply(
          { reason: 'States 100 C correctly.', tier: 'good' },
          { usage: { prompt_tokens: 210, completion_tokens: 14, total_tokens: 224 } },
        ),
      ],
    });
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: cacheDir('good') }), { log });
    const verdicts = await judge.judge(request());
    assert.deepEqual(verdicts, [
      {
        criterionId: 'accuracy',
        status: 'scored',
        tierScore: 2,
        tierLabel: 'good',
        reason: 'States 100 C correctly.',
        evaluator: 'judge:test-judge',
      },
    ]);
    assert.equal(server.requests.length, 1);
    const body = server.requests[0]!.body as Record<string, unknown>;
    assert.equal(body.model, 'test-judge');
    assert.equal(body.temperature, 0);
    assert.equal(body.response_format, undefined);
    const user = server.requests[0]!.messages[1]!.content;
    assert.match(user, /Criterion "accuracy": the response handles accuracy well/);
    assert.match(user, /- "poor" \(score 0\): misses the point/);
    assert.ok(user.indexOf('"reason"') < user.indexOf('"tier"'), 'the prompt asks for reason before tier');
    const stats = judge.stats();
    assert.equal(stats.requests, 1);
    assert.equal(stats.promptTokens, 210);
    assert.equal(stats.completionTokens, 14);
    assert.equal(stats.repliesWithUsage, 1);
  });

  test('a tier given by its score maps back to the labelled tier; json_object, maxTokens and extra headers are sent', async () => {
    server = await hooks.serve({ replies: [jsonReply({ reason: 'Partly right.', tier: 1 })] });
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: cacheDir('score'),
        responseFormat: 'json_object',
        maxTokens: 300,
        extraHeaders: { 'X-Org': 'anchorage' },
      }),
      { log },
    );
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'scored');
    assert.equal(v?.status === 'scored' && v.tierLabel, 'fair');
    const body = server.requests[0]!.body as Record<string, unknown>;
    assert.deepEqual(body.response_format, { type: 'json_object' });
    assert.equal(body.max_tokens, 300);
    assert.equal(server.requests[0]!.headers['x-org'], 'anchorage');
    assert.equal(
      server.requests[0]!.headers.authorization,
      undefined,
      'no key configured, no Authorization header',
    );
  });

  test('a malformed reply is fixed by the one repair attempt, which sends the bad reply back', async () => {
    server = await hooks.serve({
      replies: [
        { type: 'completion', content: 'Sure! I would say this one is good.' },
        jsonReply({ reason: 'Correct value.', tier: 'good' }),
      ],
    });
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: cacheDir('repair') }), { log });
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'scored');
    assert.equal(server.requests.length, 2);
    const repair = server.requests[1]!.messages;
    assert.equal(repair.length, 4);
    assert.deepEqual(repair[2], { role: 'assistant', content: 'Sure! I would say this one is good.' });
    assert.match(repair[3]!.content, /not JSON/);
    assert.match(repair[3]!.content, /"reason".*"tier"/);
    assert.equal(judge.stats().repairs, 1);
  });

  test('a reply still malformed after the repair is unscorable with the reason, never 0, and is cached', async () => {
    server = await hooks.serve({
      replies: [
        jsonReply({ reason: 'Great.', tier: 'excellent' }),
        jsonReply({ reason: 'Great.', tier: 'superb' }),
      ],
    });
    const config = testConfig({ baseUrl: server.baseUrl, cacheDir: cacheDir('malformed') });
    const judge = createJudge(config, { log });
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'unscorable');
    assert.equal('tierScore' in v!, false);
    assert.match(v!.reason, /^malformed judge reply after one repair attempt: /);
    assert.match(
      v!.reason,
      /tier "superb" is not one of its tiers: "poor" \(score 0\), "fair" \(score 1\), "good" \(score 2\)/,
    );
    assert.equal(server.requests.length, 2, 'exactly one repair attempt');
    assert.match(server.requests[1]!.messages[3]!.content, /tier "excellent" is not one of its tiers/);
    // It cost two requests: a second judge over the same cache pays nothing.
    const again = await createJudge(config, { log }).judge(request());
    assert.deepEqual(again, [v]);
    assert.equal(server.requests.length, 2);
  });
});

describe('rubric mode', () => {
  const three = () => [
    judgeCriterion('accuracy'),
    judgeCriterion('clarity'),
    judgeCriterion('brevity', {
      tiers: [
        { score: 0, label: 'fail', description: '' },
        { score: 1, label: 'pass', description: '' },
      ],
    }),
  ];

  test('one call grades every criterion', async () => {
    server = await hooks.serve({
      replies: [
        jsonReply({
          verdicts: [
            { criterion: 'accuracy', reason: 'Correct.', tier: 'good' },
            { criterion: 'clarity', reason: 'Plain.', tier: 'fair' },
            { criterion: 'brevity', reason: 'One sentence.', tier: 'pass' },
          ],
        }),
      ],
    });
    const judge = createJudge(
      testConfig({ baseUrl: server.baseUrl, cacheDir: cacheDir('rubric'), mode: 'rubric' }),
      { log },
    );
    const verdicts = await judge.judge(request(three()));
    assert.deepEqual(
      verdicts.map((v) => [v.criterionId, v.status === 'scored' ? v.tierScore : v.status]),
      [
        ['accuracy', 2],
        ['clarity', 1],
        ['brevity', 1],
      ],
    );
    assert.equal(server.requests.length, 1);
    assert.deepEqual(criteriaAsked(server.requests[0]!), ['accuracy', 'clarity', 'brevity']);
  });

  test('a missing criterion is asked for in the repair; still missing -> unscorable, the others stay scored', async () => {
    server = await hooks.serve({
      replies: [
        jsonReply({
          verdicts: [
            { criterion: 'accuracy', reason: 'Correct.', tier: 'good' },
            { criterion: 'clarity', reason: 'Hm.', tier: 'nope' },
          ],
        }),
        jsonReply({ verdicts: [{ criterion: 'clarity', reason: 'Plain.', tier: 'fair' }] }),
      ],
    });
    const judge = createJudge(
      testConfig({ baseUrl: server.baseUrl, cacheDir: cacheDir('rubric-repair'), mode: 'rubric' }),
      { log },
    );
    const verdicts = await judge.judge(request(three()));
    assert.equal(server.requests.length, 2);
    const repairText = server.requests[1]!.messages[3]!.content;
    assert.match(repairText, /criterion "brevity" is missing from "verdicts"/);
    assert.match(repairText, /criterion "clarity": tier "nope" is not one of its tiers/);
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['scored', 'scored', 'unscorable'],
    );
    assert.match(
      verdicts[2]!.reason,
      /malformed judge reply after one repair attempt: criterion "brevity" is missing/,
    );
  });

  test('verdicts are cached per criterion: a later call asks only for the new criterion', async () => {
    server = await hooks.serve({
      handler: (req) =>
        jsonReply({
          verdicts: criteriaAsked(req).map((id) => ({
            criterion: id,
            reason: `graded ${id}`,
            tier: id === 'brevity' ? 'pass' : 'fair',
          })),
        }),
    });
    const config = testConfig({
      baseUrl: server.baseUrl,
      cacheDir: cacheDir('rubric-cache'),
      mode: 'rubric',
    });
    const judge = createJudge(config, { log });
    const [a, b, c] = three();
    await judge.judge(request([a!, b!]));
    const verdicts = await judge.judge(request([a!, b!, c!]));
    assert.equal(server.requests.length, 2);
    assert.deepEqual(criteriaAsked(server.requests[1]!), ['brevity']);
    assert.deepEqual(
      verdicts.map((v) => v.reason),
      ['graded accuracy', 'graded clarity', 'graded brevity'],
    );
    assert.equal(judge.stats().cacheHits, 2);
  });
});

describe('cache', () => {
  test('the second call makes no request, also from a new judge; a changed criterion is graded anew', async () => {
    server = await hooks.serve({ handler: () => jsonReply({ reason: 'Correct.', tier: 'good' }) });
    const config = testConfig({ baseUrl: server.baseUrl, cacheDir: cacheDir('cache') });
    const judge = createJudge(config, { log });
    const first = await judge.judge(request());
    const second = await judge.judge(request());
    assert.deepEqual(second, first);
    assert.equal(server.requests.length, 1);
    assert.deepEqual([judge.stats().cacheHits, judge.stats().cacheMisses], [1, 1]);
    await createJudge(config, { log }).judge(request());
    assert.equal(server.requests.length, 1, 'a resumed run reuses the verdict');
    await judge.judge(request([judgeCriterion('accuracy', { guidance: 'ignore units' })]));
    assert.equal(server.requests.length, 2, 'guidance is part of the key');
    await createJudge({ ...config, model: 'other-judge' }, { log }).judge(request());
    assert.equal(server.requests.length, 3, 'the judge model is part of the key');
    const files = readdirSync(config.cacheDir, { recursive: true }).map(String);
    assert.equal(files.filter((f) => f.endsWith('.json')).length, 3);
    assert.equal(files.filter((f) => f.endsWith('.tmp')).length, 0);
  });
});

describe('request budget', () => {
  test('past the budget criteria are unscorable "request budget exhausted", not cached', async () => {
    server = await hooks.serve({ handler: () => jsonReply({ reason: 'ok', tier: 'good' }) });
    const config = testConfig({
      baseUrl: server.baseUrl,
      cacheDir: cacheDir('budget'),
      requestBudget: 2,
      concurrency: 1,
    });
    const judge = createJudge(config, { log });
    const verdicts = await judge.judge(
      request([judgeCriterion('a'), judgeCriterion('b'), judgeCriterion('c')]),
    );
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['scored', 'scored', 'unscorable'],
    );
    assert.equal(verdicts[2]!.reason, 'request budget exhausted');
    assert.equal(server.requests.length, 2);
    assert.equal(judge.stats().unscorable, 1);
    const fresh = await createJudge({ ...config, requestBudget: 5 }, { log }).judge(
      request([judgeCriterion('c')]),
    );
    assert.equal(fresh[0]!.status, 'scored', 'the budget verdict was not cached');
  });

  test('rubric mode with no budget left: every criterion unscorable, no request', async () => {
    server = await hooks.serve({ handler: () => jsonReply({ verdicts: [] }) });
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: cacheDir('budget-rubric'),
        mode: 'rubric',
        requestBudget: 0,
      }),
      { log },
    );
    const verdicts = await judge.judge(request([judgeCriterion('a'), judgeCriterion('b')]));
    assert.deepEqual(
      verdicts.map((v) => v.reason),
      ['request budget exhausted', 'request budget exhausted'],
    );
    assert.equal(server.requests.length, 0);
  });
});

describe('configuration', () => {
  test('a missing key variable and a verifier criterion are refused with what was expected', async () => {
    assert.throws(
      () =>
        createJudge(
          testConfig({
            baseUrl: 'http://127.0.0.1:9/v1',
            cacheDir: cacheDir('x'),
            apiKeyEnv: 'NO_SUCH_KEY_VAR',
          }),
          { env: {} },
        ),
      (e: unknown) =>
        e instanceof ValidationError && /NO_SUCH_KEY_VAR \(named by apiKeyEnv\) is not set/.test(e.message),
    );
    assert.throws(
      () =>
        createJudge(
          testConfig({ baseUrl: 'http://127.0.0.1:9/v1', cacheDir: cacheDir('x'), concurrency: 0 }),
        ),
      (e: unknown) => e instanceof ValidationError && /field concurrency/.test(e.message),
    );
    const judge = createJudge(testConfig({ baseUrl: 'http://127.0.0.1:9/v1', cacheDir: cacheDir('x') }), {
      log,
    });
    const verifierCriterion = {
      ...judgeCriterion('v'),
      evaluator: { type: 'verifier' as const, name: 'text.length', params: {} },
    };
    await assert.rejects(
      judge.judge(request([verifierCriterion])),
      /graded by verifier 'text.length', not by the judge/,
    );
  });

  test('createJudgeFromFile: a config file, the key and the model override from the environment', async () => {
    server = await hooks.serve({
      apiKey: 'file-key',
      replies: [jsonReply({ reason: 'ok', tier: 'good' })],
    });
    const path = `${hooks.dir}/judge.yaml`;
    writeFileSync(
      path,
      `baseUrl: ${server.baseUrl}\nmodel: from-file\napiKeyEnv: MY_JUDGE_KEY\ncacheDir: judge-cache\n`,
    );
    const env = { MY_JUDGE_KEY: 'file-key', ANCHORAGE_JUDGE_MODEL: 'from-env' };
    const judge = createJudgeFromFile(path, { env, log });
    const [v] = await judge.judge(request());
    assert.equal(v?.evaluator, 'judge:from-env');
    assert.equal((server.requests[0]!.body as { model: string }).model, 'from-env');
    assert.equal(
      readdirSync(`${hooks.dir}/judge-cache`, { recursive: true }).length,
      2,
      'cacheDir is relative to the file',
    );
  });
});
