import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { Policy } from '../engine/policy.ts';
import { defaultModelPath, SETUP_MODEL_COMMAND } from '../models/default-model.ts';
import { ChatServer, DEFAULT_LIMITS } from './chat-server.ts';
import { ServedModel } from './served-model.ts';

// `anchorage serve`'s server on the real default model (SmolLM2-135M-Instruct) with the official
// `openai` client: 32 requests at once, streaming, and schema-constrained answers that parse.
// Skipped only when the model file is absent; CI installs it first.
const path = defaultModelPath();
const skip = existsSync(path) ? false : `model file ${path} is missing: run \`${SETUP_MODEL_COMMAND}\``;

describe('anchorage serve on SmolLM2', { skip }, () => {
  const MODEL = 'smollm2';
  let served: ServedModel;
  let server: ChatServer;
  let client: OpenAI;

  before(async () => {
    const policy = await Policy.load({ model: path });
    served = new ServedModel(policy, { id: MODEL, slots: 32 });
    server = new ChatServer(served, { ...DEFAULT_LIMITS, slots: 32, queue: 8 });
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await server?.shutdown({ graceMs: 0 });
  });

  it('streams an answer whose chunks join to the same text as the answer not streamed', async () => {
    const request = {
      model: MODEL,
      messages: [{ role: 'user' as const, content: 'Name three colours.' }],
      temperature: 0.7,
      seed: 5,
      max_tokens: 24,
    };
    const answer = await client.chat.completions.create(request);
    const text = answer.choices[0]?.message.content ?? '';
    assert.ok(text.length > 0);
    let streamed = '';
    let chunks = 0;
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      if (piece !== '') chunks++;
      streamed += piece;
    }
    assert.equal(streamed, text);
    assert.ok(chunks > 1, `streamed in ${chunks} pieces`);
  });

  it('answers 32 requests sent at once, streamed and not, decoding them in one batch', async () => {
    const topics = ['cats', 'rain', 'bread', 'the sea', 'music', 'trains', 'snow', 'tea'];
    const requests = Array.from({ length: 32 }, (_, i) => ({
      model: MODEL,
      messages: [
        { role: 'user' as const, content: `Write one sentence about ${topics[i % topics.length]}.` },
      ],
      temperature: 0.8,
      seed: i,
      max_tokens: 8,
    }));
    const answers = await Promise.all(
      requests.map(async (request, i) => {
        if (i % 2 === 0) {
          const answer = await client.chat.completions.create(request);
          return {
            text: answer.choices[0]?.message.content ?? '',
            tokens: answer.usage?.completion_tokens ?? 0,
          };
        }
        let text = '';
        let tokens = 0;
        const stream = await client.chat.completions.create({
          ...request,
          stream: true,
          stream_options: { include_usage: true },
        });
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? '';
          tokens = chunk.usage?.completion_tokens ?? tokens;
        }
        return { text, tokens };
      }),
    );
    for (const [i, a] of answers.entries()) {
      assert.ok(a.text.length > 0, `answer ${i} is empty`);
      assert.ok(a.tokens >= 1 && a.tokens <= 8, `answer ${i}: ${a.tokens} tokens`);
    }
    assert.ok(served.peakBatch > 1, `peak batch ${served.peakBatch}`);
    await server.settled();
    assert.equal(server.inFlight, 0);
  });

  it('schema-constrained answers always parse and fit the schema (8 seeds at temperature 1)', async () => {
    const schema = {
      type: 'object',
      properties: {
        score: { type: 'integer', minimum: 0, maximum: 10 },
        label: { enum: ['good', 'bad', 'mixed'] },
        reason: { type: 'string', minLength: 1, maxLength: 80 },
        tags: { type: 'array', items: { type: 'string', maxLength: 12 }, maxItems: 3 },
      },
      required: ['score', 'label', 'reason'],
      additionalProperties: false,
    };
    const answers = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map((seed) =>
        client.chat.completions.create({
          model: MODEL,
          messages: [
            { role: 'system' as const, content: 'You grade answers. Reply in JSON.' },
            { role: 'user' as const, content: 'Grade this answer to "2+2?": "4, obviously."' },
          ],
          temperature: 1,
          seed,
          max_tokens: 200,
          response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema, strict: true } },
        }),
      ),
    );
    for (const answer of answers) {
      const text = answer.choices[0]?.message.content ?? '';
      assert.equal(answer.choices[0]?.finish_reason, 'stop', text);
      const value = JSON.parse(text) as Record<string, unknown>;
      assert.ok(Number.isInteger(value['score']) && (value['score'] as number) <= 10, text);
      assert.ok(['good', 'bad', 'mixed'].includes(value['label'] as string), text);
      assert.ok(typeof value['reason'] === 'string' && value['reason'].length >= 1, text);
      assert.ok(
        value['tags'] === undefined || (Array.isArray(value['tags']) && value['tags'].length <= 3),
        text,
      );
      assert.deepEqual(
        Object.keys(value).filter((k) => !['score', 'label', 'reason', 'tags'].includes(k)),
        [],
      );
    }
  });
});
