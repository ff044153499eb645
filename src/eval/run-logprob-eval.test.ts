import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Policy } from '../engine/policy.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { openLlamaCpp } from '../models/llama/testing/llama-cpp-oracle.ts';
import { ValidationError } from '../util/errors.ts';
import { EVAL_FILES } from './eval-folder.ts';
import { perplexitySuite } from './perplexity-suite.ts';
import { planChunks, runLogprobEval } from './run-logprob-eval.ts';

let model: { path: string; dispose: () => Promise<void> };
let policy: Policy;
const work = mkdtempSync(join(tmpdir(), 'anchorage-ppl-'));

before(async () => {
  model = await writeTinyModel({ seed: 9 });
  policy = await Policy.load({ model: model.path });
});
after(async () => {
  await policy.close();
  await model.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** Texts short enough for the tiny model's 128-token context (its tokens are bytes). */
const TEXTS = [
  { id: 'a', text: 'The ferry left at dawn, and the gulls followed it out past the harbour wall.' },
  { id: 'b', text: 'She kept the letters in a biscuit tin under the stairs.', title: 'kept as given' },
  { id: 'c', text: 'Rain.' },
];
const textsFile = join(work, 'texts.jsonl');
writeFileSync(textsFile, TEXTS.map((t) => `${JSON.stringify(t)}\n`).join(''));
const suite = perplexitySuite({ promptsFile: textsFile });
const spec = (chunkTokens = 32) => ({ model: model.path, checkpoint: null, chunkTokens });
const lines = (dir: string, file: string) =>
  readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
const summaryOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, EVAL_FILES.summary), 'utf8')) as Record<string, number>;

test('perplexity of the tiny model equals an independent computation from llama.cpp logits', async () => {
  const dir = join(work, 'whole');
  const result = await runLogprobEval({ policy, suite, spec: spec(), outDir: dir, microBatchSize: 2 });
  const planned = planChunks({
    texts: suite.texts(),
    encode: (text) => policy.tokenizer.encode(text, { parseSpecial: false }),
    chunkTokens: 32,
  });
  assert.equal(result.spec.chunks, planned.length);
  assert.equal(lines(dir, EVAL_FILES.logprobs).length, planned.length);
  assert.equal(lines(dir, EVAL_FILES.results).length, planned.length);
  const summary = summaryOf(dir);
  const scoredTokens = planned.reduce((n, c) => n + c.ids.length - 1, 0);
  assert.equal(summary['tokens'], scoredTokens);

  // llama.cpp on the same F32 file: log-softmax of its logits in float64, summed over the tokens
  // each chunk scores (every token after the chunk's first).
  const oracle = await openLlamaCpp({
    modelPath: model.path,
    contextSize: 64,
    vocabSize: policy.config.vocabSize,
  });
  let nats = 0;
  try {
    for (const c of planned) {
      const logits = await oracle.logits(c.ids);
      for (let t = 1; t < c.ids.length; t++) {
        const row = logits[t - 1]!;
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        let sum = 0;
        for (const v of row) sum += Math.exp(v - max);
        nats -= row[c.ids[t]!]! - max - Math.log(sum);
      }
    }
  } finally {
    await oracle.dispose();
  }
  const expected = Math.exp(nats / scoredTokens);
  assert.ok(
    Math.abs(summary['perplexity']! - expected) / expected < 1e-4,
    `ours ${summary['perplexity']}, llama.cpp ${expected}`,
  );
  assert.ok(
    Math.abs(summary['natsPerToken']! - nats / scoredTokens) < 1e-4,
    `${summary['natsPerToken']} vs ${nats / scoredTokens}`,
  );
  // A random model is confidently wrong about text: worse than uniform over its 260 tokens.
  assert.ok(Number.isFinite(summary['perplexity']) && summary['perplexity']! > 1);
});

test('stopped midway, a perplexity evaluation resumes without rescoring a chunk; another chunk length is refused', async () => {
  const whole = join(work, 'whole');
  const split = join(work, 'split');
  const controller = new AbortController();
  await assert.rejects(
    runLogprobEval({
      policy,
      suite,
      spec: spec(),
      outDir: split,
      microBatchSize: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.scored >= 2) controller.abort(new Error('stopped by the test'));
      },
    }),
    /stopped by the test/,
  );
  const kept = lines(split, EVAL_FILES.logprobs).length;
  const total = lines(whole, EVAL_FILES.logprobs).length;
  assert.ok(kept >= 2 && kept < total, `${kept} of ${total} chunks kept`);
  appendFileSync(join(split, EVAL_FILES.logprobs), '{"key":"a#0","te');
  const resumed = await runLogprobEval({ policy, suite, spec: spec(), outDir: split, microBatchSize: 2 });
  assert.deepEqual([resumed.resumed, resumed.scored], [kept, total - kept]);
  assert.deepEqual(lines(split, EVAL_FILES.logprobs).sort(), lines(whole, EVAL_FILES.logprobs).sort());
  assert.deepEqual(lines(split, EVAL_FILES.results), lines(whole, EVAL_FILES.results));
  assert.equal(summaryOf(split)['perplexity'], summaryOf(whole)['perplexity']);

  await assert.rejects(
    runLogprobEval({ policy, suite, spec: spec(16), outDir: split }),
    (err: Error) => err instanceof ValidationError && /chunkTokens 32 there, 16 asked/.test(err.message),
  );
});

test('a texts file with a repeated id or a bad line is refused with its file and line', () => {
  const bad = join(work, 'bad.jsonl');
  writeFileSync(bad, '{"id":"x","text":"one"}\n{"id":"x","text":"two"}\n');
  assert.throws(
    () => perplexitySuite({ promptsFile: bad }).texts(),
    /bad\.jsonl:2, field id: a second text with id 'x'/,
  );
  writeFileSync(bad, '{"id":"x","text":"one"}\n{"id":"y"}\n');
  assert.throws(() => perplexitySuite({ promptsFile: bad }).texts(), /bad\.jsonl:2, field text/);
  assert.throws(() => perplexitySuite({ config: 'run.yaml' }), /suite 'perplexity' does not take --config/);
});

test('the bundled texts: 64 passages of at least 100 words with unique ids', () => {
  const texts = perplexitySuite().texts();
  assert.equal(texts.length, 64);
  assert.equal(new Set(texts.map((t) => t.key)).size, 64);
  for (const t of texts) assert.ok(t.text.split(/\s+/).length >= 100, t.key);
});
