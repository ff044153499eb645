import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { FinishedSequence } from '../engine/generation/generation-types.ts';
import { Policy } from '../engine/policy.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { TINY_CHAT_TEMPLATE } from '../train/testing/tiny-run.ts';
import { ChatServer } from './chat-server.ts';
import { type ChatModel, ServedModel } from './served-model.ts';

// The server on the tiny model (128-token context, bytes as tokens) with the official `openai`
// client: answers, streaming, stop strings, seeds, constrained output and every error status.
// test/serve-smollm2.test.ts runs the real model: concurrency, disconnects, schema answers.

/** Holds requests before they reach the model until `open()`: a way to fill the server on cue. */
class GatedModel implements ChatModel {
  private release: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  private waiting = 0;
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly inner: ChatModel) {}
  get id() {
    return this.inner.id;
  }
  get contextLength() {
    return this.inner.contextLength;
  }
  get stopIds() {
    return this.inner.stopIds;
  }
  encodeChat(messages: Parameters<ChatModel['encodeChat']>[0]) {
    return this.inner.encodeChat(messages);
  }
  decode(ids: readonly number[]) {
    return this.inner.decode(ids);
  }
  async generate(options: Parameters<ChatModel['generate']>[0]): Promise<FinishedSequence> {
    const call = this.waiting++;
    this.drawn.push(0);
    for (const w of this.waiters.filter((w) => this.waiting >= w.count)) w.resolve();
    await this.gate;
    const sequence = await this.inner.generate({
      ...options,
      onToken: (token) => {
        this.drawn[call] = (this.drawn[call] ?? 0) + 1;
        options.onToken(token);
      },
    });
    this.finished.push(sequence.tokenIds.length);
    return sequence;
  }
  /** Tokens drawn so far for each request, in the order the requests reached the model. */
  readonly drawn: number[] = [];
  /** New tokens of each sequence the model finished, in the order the engine finished them. */
  readonly finished: number[] = [];
  close(options: { graceMs: number }) {
    return this.inner.close(options);
  }
  /** Requests that reached the model so far (the gate open or not). */
  get calls(): number {
    return this.waiting;
  }
  /** Resolves once `count` requests wait at the gate. */
  arrived(count: number): Promise<void> {
    if (this.waiting >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
  open(): void {
    this.release();
  }
}

let tiny: { path: string; dispose: () => Promise<void> };
let policy: Policy;
let gated: GatedModel;
let server: ChatServer;
let url: string;
let client: OpenAI;
const MODEL = 'tiny';
const LIMITS = { maxBodyBytes: 4096, slots: 2, queue: 1, retryAfterSeconds: 7, defaultMaxTokens: 12 };

before(async () => {
  tiny = await writeTinyModel({ chatTemplate: TINY_CHAT_TEMPLATE });
  policy = await Policy.load({ model: tiny.path });
  gated = new GatedModel(new ServedModel(policy, { id: MODEL, slots: LIMITS.slots }));
  server = new ChatServer(gated, LIMITS);
  url = await server.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await server.shutdown({ graceMs: 0 });
  await tiny.dispose();
});

const user = (content: string) => [{ role: 'user' as const, content }];

test('a full server answers 429 with Retry-After; once requests finish it admits again', async () => {
  // Two slots and one queued: three requests fill the server while the gate holds them.
  const held = [1, 2, 3].map((seed) =>
    client.chat.completions.create({ model: MODEL, messages: user('hi'), seed, max_tokens: 4 }),
  );
  await gated.arrived(3);
  assert.equal(server.inFlight, 3);
  const refused = await client.chat.completions
    .create({ model: MODEL, messages: user('hi'), max_tokens: 4 })
    .then(
      () => assert.fail('expected a 429'),
      (err: unknown) => err,
    );
  assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
  assert.equal(refused.status, 429);
  assert.equal(refused.headers?.get('retry-after'), '7');
  assert.match(refused.message, /the server is busy: 3 requests in flight/);
  gated.open();
  for (const answer of await Promise.all(held)) assert.equal(answer.choices[0]?.message.role, 'assistant');
  await server.settled();
  assert.equal(server.inFlight, 0);
  const again = await client.chat.completions.create({ model: MODEL, messages: user('hi'), max_tokens: 2 });
  assert.equal(again.usage?.completion_tokens, 2);
});

test('models: the served one is listed and retrieved; another name is 404 model_not_found', async () => {
  const list = await client.models.list();
  assert.deepEqual(
    list.data.map((m) => [m.id, m.object, m.owned_by]),
    [[MODEL, 'model', 'anchorage']],
  );
  assert.equal((await client.models.retrieve(MODEL)).id, MODEL);
  const missing = await client.models.retrieve('gpt-4o').catch((err: unknown) => err);
  assert.ok(missing instanceof OpenAI.NotFoundError);
  assert.equal((missing.error as { code?: string }).code, 'model_not_found');
});

test('an answer and its streamed form agree for one seed; usage counts the prompt and the new tokens', async () => {
  const request = {
    model: MODEL,
    messages: user('Say something'),
    seed: 42,
    temperature: 0.9,
    max_tokens: 10,
  };
  const answer = await client.chat.completions.create(request);
  const again = await client.chat.completions.create(request);
  const choice = answer.choices[0];
  assert.ok(choice !== undefined && typeof choice.message.content === 'string');
  assert.equal(again.choices[0]?.message.content, choice.message.content, 'same seed, same answer');
  assert.equal(answer.object, 'chat.completion');
  assert.match(answer.id, /^chatcmpl-/);
  const prompt = policy.encode({ messages: user('Say something') });
  assert.equal(answer.usage?.prompt_tokens, prompt.length);
  assert.ok((answer.usage?.completion_tokens ?? 0) >= 1 && (answer.usage?.completion_tokens ?? 0) <= 10);
  assert.equal(answer.usage?.total_tokens, prompt.length + (answer.usage?.completion_tokens ?? 0));
  assert.equal(choice.finish_reason, answer.usage?.completion_tokens === 10 ? 'length' : 'stop');

  const stream = await client.chat.completions.create({
    ...request,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  const finishes: (string | null)[] = [];
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      finishes.push(c.finish_reason);
    }
  }
  assert.equal(text, choice.message.content);
  assert.equal(finishes.at(-1), choice.finish_reason);
  assert.ok(finishes.slice(0, -1).every((f) => f === null));
  assert.deepEqual(usage, answer.usage);
});

test('a stop string ends the answer before it, streamed or not', async () => {
  const base = { model: MODEL, messages: user('Tell me more'), temperature: 0, max_tokens: 20 };
  const full = (await client.chat.completions.create(base)).choices[0]?.message.content ?? '';
  assert.ok(full.length >= 6, `the tiny model's greedy answer is long enough: ${JSON.stringify(full)}`);
  const stop = full.slice(3, 5);
  const cut = full.slice(0, full.indexOf(stop));
  const answer = await client.chat.completions.create({ ...base, stop: [stop, '\u0001never'] });
  assert.equal(answer.choices[0]?.message.content, cut);
  assert.equal(answer.choices[0]?.finish_reason, 'stop');
  let streamed = '';
  for await (const chunk of await client.chat.completions.create({ ...base, stop, stream: true })) {
    streamed += chunk.choices[0]?.delta.content ?? '';
  }
  assert.equal(streamed, cut);
});

test('response_format json_schema and json_object: the answer parses and fits the schema', async () => {
  const schema = {
    type: 'object',
    properties: {
      a: { type: 'integer', minimum: 0, maximum: 9 },
      b: { enum: ['x', 'yz'] },
      c: { type: 'boolean' },
    },
    required: ['a', 'b', 'c'],
    additionalProperties: false,
  };
  for (const seed of [1, 2, 3]) {
    const answer = await client.chat.completions.create({
      model: MODEL,
      messages: user('json'),
      seed,
      max_tokens: 60,
      response_format: { type: 'json_schema', json_schema: { name: 'abc', schema, strict: true } },
    });
    const value = JSON.parse(answer.choices[0]?.message.content ?? '') as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['a', 'b', 'c']);
    assert.ok(Number.isInteger(value['a']) && ['x', 'yz'].includes(value['b'] as string));
    assert.equal(typeof value['c'], 'boolean');
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
  }
  const object = await client.chat.completions.create({
    model: MODEL,
    messages: user('json'),
    seed: 1,
    max_tokens: 60,
    response_format: { type: 'json_object' },
  });
  const parsed = JSON.parse(object.choices[0]?.message.content ?? '') as unknown;
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed));
});

/** A raw request, for what the client would not send. */
async function raw(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; error: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, init);
  const body = (await res.json()) as { error: Record<string, unknown> };
  return { status: res.status, error: body.error };
}

test('bad requests get OpenAI-style errors with their status, and the server keeps serving', async () => {
  const post = (body: string) => raw('/v1/chat/completions', { method: 'POST', body });
  const malformed = await post('{"model": "tiny", ');
  assert.equal(malformed.status, 400);
  assert.equal(malformed.error['type'], 'invalid_request_error');
  assert.equal(malformed.error['code'], 'invalid_json');

  const oversized = await post(JSON.stringify({ model: MODEL, messages: user('x'.repeat(5000)) }));
  assert.equal(oversized.status, 413);
  assert.equal(oversized.error['code'], 'request_too_large');

  const invalid = await post(JSON.stringify({ model: MODEL, messages: [] }));
  assert.equal(invalid.status, 400);
  assert.equal(invalid.error['param'], 'messages');

  const expectError = async (
    params: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>,
    status: number,
    code: string,
  ) => {
    const err = await client.chat.completions
      .create({ model: MODEL, messages: user('hi'), max_tokens: 2, ...params })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, `${code}: ${String(err)}`);
    assert.equal(err.status, status, code);
    assert.equal((err.error as { code?: string }).code, code);
    return err;
  };
  await expectError({ model: 'no-such-model' }, 404, 'model_not_found');
  await expectError({ messages: user('long '.repeat(30)) }, 400, 'context_length_exceeded');
  await expectError({ max_tokens: 500 }, 400, 'context_length_exceeded');
  const schema = await expectError(
    {
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 's',
          schema: { type: 'object', properties: { d: { type: 'string', format: 'date' } } },
        },
      },
    },
    400,
    'invalid_json_schema',
  );
  assert.match(schema.message, /properties\.d\.format: keyword 'format' is not supported/);
  await expectError({ n: 2 }, 400, 'unsupported_parameter');

  const route = await raw('/v1/completions', { method: 'POST', body: '{}' });
  assert.equal(route.status, 404);
  const method = await raw('/v1/chat/completions');
  assert.equal(method.status, 405);

  const ok = await client.chat.completions.create({ model: MODEL, messages: user('hi'), max_tokens: 1 });
  assert.equal(ok.usage?.completion_tokens, 1);
});

test('a client that disconnects gives its batch slot to a waiting request at once', async () => {
  // A paced model decodes only the steps this test grants, so the disconnect and the waiting
  // request fall at known steps instead of racing the decode loop in its worker thread. Its own
  // policy: closing the server closes it.
  const pacedPolicy = await Policy.load({ model: tiny.path });
  const served = new ServedModel(pacedPolicy, { id: MODEL, slots: 2, paced: true });
  const model = new GatedModel(served);
  model.open();
  const pacedServer = new ChatServer(model, LIMITS);
  const pacedClient = new OpenAI({
    baseURL: `${await pacedServer.listen({ port: 0, host: '127.0.0.1' })}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  });
  /** Grants one step at a time until `done` holds (each step draws a token for every running request). */
  const stepUntil = async (done: () => boolean) => {
    while (!done()) await served.advance(1);
  };
  try {
    // At least 100 tokens each on the byte-level tiny model, so neither long request can end in
    // the few steps the short one needs.
    const long = {
      model: MODEL,
      messages: user('x'),
      max_tokens: 104,
      stream: true as const,
      response_format: {
        type: 'json_schema' as const,
        json_schema: { name: 'long', schema: { type: 'string', minLength: 100 } },
      },
    };
    const controller = new AbortController();
    await pacedClient.chat.completions.create(long, { signal: controller.signal });
    await model.arrived(1);
    const b = await pacedClient.chat.completions.create(long);
    await model.arrived(2);
    let bText = '';
    const bRest = (async () => {
      for await (const chunk of b) bText += chunk.choices[0]?.delta.content ?? '';
    })();
    // Both decode: the two slots are taken.
    await stepUntil(() => model.drawn.length === 2 && model.drawn.every((n) => n > 0));
    // The short request waits for a slot; then the first client goes.
    const shortDone = pacedClient.chat.completions.create({
      model: MODEL,
      messages: user('y'),
      max_tokens: 2,
    });
    await model.arrived(3);
    controller.abort();
    await stepUntil(() => model.finished.length > 0);
    assert.deepEqual(model.finished, [2], 'the short request got the dropped slot and ended first');
    assert.ok(
      (model.drawn[1] ?? 0) < 100,
      `the other long request still runs (${model.drawn[1]} tokens drawn)`,
    );
    assert.equal((await shortDone).usage?.completion_tokens, 2);
    await stepUntil(() => model.finished.length === 2);
    await bRest;
    assert.ok(bText.length >= 100);
    assert.equal(model.finished[1], model.drawn[1]);
    assert.ok((model.drawn[0] ?? 0) < 100, 'the dropped sequence stopped drawing');
    await pacedServer.settled();
    assert.equal(pacedServer.inFlight, 0);
  } finally {
    await pacedServer.shutdown({ graceMs: 0 });
  }
});

test('shutdown lets a running request finish, refuses new ones, then closes the model', async () => {
  const running = client.chat.completions.create({
    model: MODEL,
    messages: user('last'),
    stream: true,
    max_tokens: 30,
    temperature: 0,
  });
  const stream = await running;
  const iterator = stream[Symbol.asyncIterator]();
  await iterator.next(); // admitted: its first chunk is out
  const closing = server.shutdown({ graceMs: 60_000 });
  const late = await raw('/v1/models').catch((err: unknown) => err);
  assert.ok(
    late instanceof Error || (late as { status: number }).status === 503,
    'a request during shutdown is refused',
  );
  let text = '';
  for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) {
    text += r.value.choices[0]?.delta.content ?? '';
  }
  assert.ok(text.length > 0);
  await closing;
  await assert.rejects(fetch(`${url}/v1/models`));
});
