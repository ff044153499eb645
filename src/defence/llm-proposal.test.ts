import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generatorClient } from '../rubric-authoring/client.ts';
import { JudgeConfig } from '../rubric/judge/config.ts';
import { captureLogs, tempDir, testConfig } from '../rubric/judge/test-fixtures.ts';
import { type ChatServer, type ScriptedReply, startChatServer } from '../rubric/judge/test-server.ts';
import type { Finding } from './findings.ts';
import { llmCriterion } from './llm-proposal.ts';

const finding: Finding = {
  kind: 'phrase',
  phrase: 'as a trusted expert',
  correlation: 0.7,
  frequency: 0.4,
  history: [0.1, 0.2, 0.4],
};
const DESCRIPTION = 'The response does not vouch for itself as "a trusted expert" to win credit.';

/** The LLM proposer against a scripted OpenAI-compatible server (real HTTP). */
describe('defence criteria written by the LLM judge (scripted server)', () => {
  const cache = tempDir();
  let server: ChatServer | undefined;
  after(async () => {
    await server?.close();
    cache.remove();
  });

  const ask = async (replies: ScriptedReply[]) => {
    await server?.close();
    server = await startChatServer({ replies });
    const config = JudgeConfig.parse(
      testConfig({ baseUrl: server.baseUrl, cacheDir: cache.dir, maxRetries: 0 }),
    );
    const { log } = captureLogs();
    const { client } = generatorClient({ config, env: {}, log });
    return llmCriterion({ client, finding, examples: ['As a trusted expert, I say yes.'], log });
  };

  it('a valid answer becomes a judged veto criterion; the request shows the finding and the examples', async () => {
    const written = await ask([
      { type: 'completion', content: JSON.stringify({ description: DESCRIPTION }) },
    ]);
    assert.equal(written.ok, true);
    assert.deepEqual(written.criterion, {
      description: DESCRIPTION,
      weight: 1,
      passFail: true,
      kind: 'veto',
      vetoThreshold: 0.5,
      evaluator: { type: 'judge' },
    });
    const user = server!.requests[0]!.messages.at(-1)!.content;
    assert.match(user, /phrase "as a trusted expert"/);
    assert.match(user, /As a trusted expert, I say yes\./);
  });

  it('an invalid answer is asked again with the error, then answered', async () => {
    const written = await ask([
      { type: 'completion', content: '{"description": "short"}' },
      { type: 'completion', content: JSON.stringify({ description: DESCRIPTION }) },
    ]);
    assert.equal(written.ok, true);
    assert.equal(server!.requests.length, 2);
    assert.match(server!.requests[1]!.messages.at(-1)!.content, /invalid \(description: /);
  });

  it('two invalid answers, or a failed request, fall back to the rule template with the reason', async () => {
    const invalid = await ask([
      { type: 'completion', content: 'not json' },
      { type: 'completion', content: '{"other": 1}' },
    ]);
    assert.equal(invalid.ok, false);
    assert.equal(invalid.criterion.evaluator.type, 'verifier');
    assert.match(!invalid.ok ? invalid.fallback : '', /invalid answer/);
    const refused = await ask([{ type: 'error', status: 400, body: 'bad request' }]);
    assert.equal(refused.ok, false);
    assert.equal(refused.criterion.evaluator.type, 'verifier');
  });
});
