import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createJudge } from './llm-judge.ts';
import { REPLY_PLACEHOLDERS } from './prompts.ts';
import { captureLogs, judgeCriterion, judgeTestHooks, testConfig } from './test-fixtures.ts';
import { jsonReply } from './test-server.ts';
import { criterionVerdictSchema, rubricVerdictSchema } from './verdict-schema.ts';

// What the judge sends with `responseFormat: json_schema`, and verdicts that copy the prompt's
// template, over real HTTP against the scripted server.

const hooks = judgeTestHooks();
const { log } = captureLogs();

const accuracy = judgeCriterion('accuracy');
const brevity = judgeCriterion('brevity', {
  tiers: [
    { score: 0, label: 'fail', description: '' },
    { score: 1, label: 'pass', description: '' },
  ],
});

const request = (criteria = [accuracy]) => ({
  rubricId: 'test/rubric',
  prompt: 'What is the boiling point of water at sea level?',
  response: 'Water boils at 100 degrees Celsius at sea level.',
  criteria,
});

describe('responseFormat: json_schema', () => {
  test("per criterion: every request, the repair included, carries the criterion's verdict schema", async () => {
    const server = await hooks.serve({
      replies: [
        jsonReply({ reason: 'Boils at 100 C.', tier: 'great' }),
        jsonReply({ reason: 'Boils at 100 C.', tier: 'good' }),
      ],
    });
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: `${hooks.dir}/schema`,
        responseFormat: 'json_schema',
        reasonMaxChars: 300,
      }),
      { log },
    );
    const [v] = await judge.judge(request());
    assert.equal(v?.status === 'scored' && v.tierLabel, 'good');
    assert.equal(server.requests.length, 2);
    const expected = {
      type: 'json_schema',
      json_schema: { ...criterionVerdictSchema({ criterion: accuracy, reasonMaxChars: 300 }), strict: true },
    };
    for (const r of server.requests) {
      assert.deepEqual((r.body as Record<string, unknown>).response_format, expected);
    }
    const schema = expected.json_schema.schema as {
      properties: { tier: { enum: string[] }; reason: unknown };
    };
    assert.deepEqual(schema.properties.tier.enum, ['poor', 'fair', 'good']);
    assert.deepEqual(schema.properties.reason, { type: 'string', minLength: 1, maxLength: 300 });
  });

  test('rubric mode: the schema lists the criteria; the repair lists only those still to grade', async () => {
    const server = await hooks.serve({
      replies: [
        jsonReply({ verdicts: [{ criterion: 'accuracy', reason: 'Correct.', tier: 'good' }] }),
        jsonReply({ verdicts: [{ criterion: 'brevity', reason: 'One sentence.', tier: 'pass' }] }),
      ],
    });
    const judge = createJudge(
      testConfig({
        baseUrl: server.baseUrl,
        cacheDir: `${hooks.dir}/rubric-schema`,
        mode: 'rubric',
        responseFormat: 'json_schema',
      }),
      { log },
    );
    const verdicts = await judge.judge(request([accuracy, brevity]));
    assert.deepEqual(
      verdicts.map((v) => v.status === 'scored' && v.tierLabel),
      ['good', 'pass'],
    );
    const sent = server.requests.map((r) => (r.body as { response_format: unknown }).response_format);
    assert.deepEqual(sent, [
      {
        type: 'json_schema',
        json_schema: { ...rubricVerdictSchema({ criteria: [accuracy, brevity] }), strict: true },
      },
      { type: 'json_schema', json_schema: { ...rubricVerdictSchema({ criteria: [brevity] }), strict: true } },
    ]);
  });
});

describe('verdicts that echo the prompt template', () => {
  const placeholder = REPLY_PLACEHOLDERS.reason;

  test('an echoed reason is never a verdict: repaired once, still echoed -> unscorable naming it, cached', async () => {
    const server = await hooks.serve({
      replies: [
        jsonReply({ reason: placeholder, tier: 'good' }),
        jsonReply({ reason: `Correct. ${placeholder}`, tier: 'good' }),
      ],
    });
    const config = testConfig({
      baseUrl: server.baseUrl,
      cacheDir: `${hooks.dir}/echo`,
      responseFormat: 'json_object',
    });
    const judge = createJudge(config, { log });
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'unscorable');
    assert.equal('tierScore' in v!, false, 'no tier, no score');
    assert.match(
      v!.reason,
      /^malformed judge reply after one repair attempt: criterion "accuracy": the reason repeats the reply template's placeholder "<one to three sentences, citing the response>"/,
    );
    assert.equal(server.requests.length, 2, 'exactly one repair attempt');
    assert.match(
      server.requests[1]!.messages[3]!.content,
      /the reason repeats the reply template's placeholder/,
    );
    const stats = judge.stats();
    assert.equal(stats.repairs, 1);
    assert.equal(stats.unscorable, 1);
    // Paid for, so cached: a second judge over the same folder asks nothing.
    assert.equal(readdirSync(config.cacheDir).length > 0, true);
    assert.deepEqual(await createJudge(config, { log }).judge(request()), [v]);
    assert.equal(server.requests.length, 2);
  });

  test("an echoed reason repaired in the judge's own words is scored", async () => {
    const server = await hooks.serve({
      replies: [
        jsonReply({ reason: placeholder, tier: 'good' }),
        jsonReply({ reason: 'Says 100 C at sea level.', tier: 'good' }),
      ],
    });
    const judge = createJudge(testConfig({ baseUrl: server.baseUrl, cacheDir: `${hooks.dir}/echo-fixed` }), {
      log,
    });
    const [v] = await judge.judge(request());
    assert.equal(v?.status, 'scored');
    assert.equal(v?.reason, 'Says 100 C at sea level.');
    assert.equal(server.requests.length, 2);
  });
});
