import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { UnsupportedSchemaError } from './constrain/json-schema-subset.ts';
import type { FinishedSequence } from './generation/generation-types.ts';
import { Policy } from './policy.ts';
import { SamplingParamsSchema, type SamplingParamsInput } from './sampling/sampling-params.ts';
import { writeTinyModel } from './testing/tiny-model.ts';

let model: { path: string; dispose: () => Promise<void> };
let policy: Policy;

before(async () => {
  model = await writeTinyModel();
  policy = await Policy.load({ model: model.path });
});
after(async () => {
  await policy.close();
  await model.dispose();
});

const params = (p: SamplingParamsInput) => SamplingParamsSchema.parse(p);
const STOPS = [257];

/** The same prompt and sampling through the batch generation path, alone. */
async function alone(prompt: number[], sampling: SamplingParamsInput): Promise<number[]> {
  const { results } = await policy.generate({ prompts: [{ ids: prompt }], sampling, streams: [0] });
  return (results[0] as { tokenIds: number[] }).tokenIds;
}

test('sequences joining a running generation, each with its own sampling, draw what each draws alone', async () => {
  const open = await policy.openGeneration({ slots: 4, constrained: false });
  const cases: { prompt: number[]; sampling: SamplingParamsInput }[] = [
    { prompt: [256, 72, 105], sampling: { temperature: 0, maxNewTokens: 12 } },
    { prompt: [256, 97], sampling: { temperature: 0.8, seed: 3, maxNewTokens: 20 } },
    { prompt: [256, 98, 99, 100], sampling: { temperature: 1.2, topP: 0.9, seed: 4, maxNewTokens: 9 } },
    { prompt: [256, 72, 105], sampling: { temperature: 0.7, topK: 5, seed: 5, maxNewTokens: 15 } },
    { prompt: [256, 101], sampling: { temperature: 0, maxNewTokens: 7 } },
  ];
  const streamed: number[][] = cases.map(() => []);
  const results: Promise<FinishedSequence>[] = [];
  let allAdded: () => void = () => undefined;
  const added = new Promise<void>((resolve) => {
    allAdded = resolve;
  });
  // The first starts alone; each next one joins once the one before it has drawn a token, so they
  // enter a batch that is already decoding (five sequences on four slots: the last one waits).
  const add = (i: number) => {
    const c = cases[i] as (typeof cases)[number];
    results[i] = open.add({
      prompt: c.prompt,
      params: params(c.sampling),
      stopIds: STOPS,
      onToken: (t) => {
        (streamed[i] as number[]).push(t);
        if ((streamed[i] as number[]).length === 1 && i + 1 < cases.length) add(i + 1);
      },
    });
    if (i === cases.length - 1) allAdded();
  };
  add(0);
  await added;
  const finished = await Promise.all(results);
  // The session worker runs one generation at a time: this one ends before the reference runs.
  const stats = await open.end();
  assert.equal(
    stats.newTokens,
    finished.reduce((a, s) => a + s.tokenIds.length, 0),
  );
  assert.ok(stats.peakBatch <= 4);
  for (const [i, c] of cases.entries()) {
    const expected = await alone(c.prompt, c.sampling);
    assert.deepEqual(finished[i]?.tokenIds, expected, `sequence ${i}`);
    assert.deepEqual(streamed[i], expected, `sequence ${i} streamed`);
  }
});

test('an aborted sequence is dropped and gives its slot to the next one at the next step', async () => {
  // Paced: the loop runs only the steps granted here, so the abort falls at a known step.
  const open = await policy.openGeneration({ slots: 1, constrained: false, paced: true });
  const controller = new AbortController();
  let seen = 0;
  let nextSeen = 0;
  const long = open.add({
    prompt: [256, 72],
    params: params({ temperature: 0.9, seed: 1, maxNewTokens: 100 }),
    stopIds: [],
    signal: controller.signal,
    onToken: () => seen++,
  });
  // Waits for the only slot: it can start only once the long one is dropped.
  const next = open.add({
    prompt: [256, 73],
    params: params({ temperature: 0, maxNewTokens: 5 }),
    stopIds: [],
    onToken: () => nextSeen++,
  });
  await open.advance(1);
  assert.deepEqual([seen, nextSeen], [2, 0], 'one step: the prefill token and one decoded');
  await open.advance(2);
  assert.deepEqual([seen, nextSeen], [4, 0]);
  controller.abort(new Error('client went away'));
  await assert.rejects(long, /client went away/);
  await open.advance(1);
  assert.deepEqual([seen, nextSeen], [4, 2], 'the next step gave the freed slot to the waiting one');
  const stats = await open.end(); // ended: it runs freely
  assert.equal((await next).tokenIds.length, 5);
  assert.deepEqual([stats.newTokens, stats.peakBatch], [4 + 5, 1]);
});

test('advance is refused on a generation that is not paced', async () => {
  const open = await policy.openGeneration({ slots: 1, constrained: false });
  await assert.rejects(open.advance(1), /not paced/);
  await open.end();
});

test('a JSON-schema-constrained sequence is a document of the schema, whatever the model prefers', async () => {
  const open = await policy.openGeneration({ slots: 4 });
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 6 },
      n: { type: 'integer', minimum: 0, maximum: 20 },
      ok: { type: 'boolean' },
      tags: { type: 'array', items: { enum: ['x', 'y'] }, maxItems: 2 },
    },
    required: ['name', 'n', 'ok'],
  };
  const runs = await Promise.all(
    [1, 2, 3, 4, 5, 6].map((seed) =>
      open.add({
        prompt: [256, 72, 105],
        params: params({ temperature: 1, seed, maxNewTokens: 120 }),
        stopIds: STOPS,
        constraint: { type: 'json_schema', schema },
      }),
    ),
  );
  for (const run of runs) {
    assert.equal(run.finishReason, 'stop');
    const text = policy.tokenizer.decode(run.tokenIds.slice(0, -1));
    const value = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(value).slice(0, 3), ['name', 'n', 'ok'], text);
    assert.ok(typeof value['name'] === 'string' && value['name'].length <= 6, text);
    assert.ok(Number.isInteger(value['n']) && (value['n'] as number) <= 20, text);
    assert.equal(typeof value['ok'], 'boolean', text);
  }
  const object = await open.add({
    prompt: [256, 98],
    params: params({ temperature: 1, seed: 1, maxNewTokens: 120 }),
    stopIds: STOPS,
    constraint: { type: 'json_object' },
  });
  assert.equal(object.finishReason, 'stop');
  const value = JSON.parse(policy.tokenizer.decode(object.tokenIds.slice(0, -1))) as unknown;
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
  await open.end();
});

test('prompts beyond the context and unsupported schemas are refused at once; the generation goes on', async () => {
  const open = await policy.openGeneration({ slots: 2 });
  await assert.rejects(
    open.add({
      prompt: [256, 72],
      params: params({ maxNewTokens: policy.config.contextLength }),
      stopIds: STOPS,
    }),
    /exceeds the model's context/,
  );
  await assert.rejects(
    open.add({
      prompt: [256, 72],
      params: params({ maxNewTokens: 4 }),
      stopIds: STOPS,
      constraint: { type: 'json_schema', schema: { type: 'string', pattern: 'a+' } },
    }),
    (err: unknown) => err instanceof UnsupportedSchemaError && /pattern/.test(err.message),
  );
  const ok = await open.add({
    prompt: [256, 72],
    params: params({ temperature: 0, maxNewTokens: 3 }),
    stopIds: [],
  });
  assert.equal(ok.tokenIds.length, 3);
  await open.end();
  await assert.rejects(
    open.add({ prompt: [256, 72], params: params({ maxNewTokens: 3 }), stopIds: [] }),
    /ending/,
  );
});

test('closing the policy stops an open generation that was never ended; its sequences reject', async () => {
  const other = await Policy.load({ model: model.path });
  const open = await other.openGeneration({ slots: 1, constrained: false });
  const running = open.add({
    prompt: [256, 72],
    params: params({ maxNewTokens: 100 }),
    stopIds: [],
    onToken: () => {
      void other.close();
    },
  });
  await assert.rejects(running, /policy closed/);
  await assert.rejects(open.done, /policy closed/);
});
