import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Policy } from '../engine/policy.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { ValidationError } from '../util/errors.ts';
import { EVAL_FILES, runEval } from './run-eval.ts';
import { ifevalSuite } from './ifeval-suite.ts';
import { getSuite } from './suites.ts';

const TEMPLATE =
  "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
let model: { path: string; dispose: () => Promise<void> };
let policy: Policy;
const work = mkdtempSync(join(tmpdir(), 'anchorage-eval-'));

before(async () => {
  model = await writeTinyModel({ seed: 9, chatTemplate: TEMPLATE });
  policy = await Policy.load({ model: model.path });
});
after(async () => {
  await policy.close();
  await model.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** IFEval-format prompts short enough for the tiny model's 128-token context (bytes as tokens). */
const SHORT_PROMPTS = [
  { key: 1, prompt: 'Say hi.', instruction_id_list: ['change_case:english_lowercase'], kwargs: [{}] },
  { key: 2, prompt: 'No commas.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] },
  { key: 3, prompt: 'A title?', instruction_id_list: ['detectable_format:title'], kwargs: [{}] },
  { key: 4, prompt: 'Shout it.', instruction_id_list: ['change_case:english_capital'], kwargs: [{}] },
  { key: 5, prompt: 'Quote me.', instruction_id_list: ['startend:quotation'], kwargs: [{}] },
  { key: 6, prompt: 'Be brief.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] },
];
const promptsFile = join(work, 'prompts.jsonl');
writeFileSync(promptsFile, SHORT_PROMPTS.map((p) => `${JSON.stringify(p)}\n`).join(''));
const suite = ifevalSuite({ promptsFile });
const spec = () => ({ model: model.path, checkpoint: null, maxNewTokens: 12 });
const lines = (dir: string, file: string) =>
  readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
const sortedAnswers = (dir: string) => lines(dir, EVAL_FILES.answers).sort();

test('a limited evaluation scores only the prompts it answered', async () => {
  const dir = join(work, 'limited');
  const done = await runEval({ policy, suite, spec: spec(), outDir: dir, limit: 3 });
  assert.equal(done.scores.summary.prompts, 3);
  assert.deepEqual(
    lines(dir, EVAL_FILES.results).map((l) => (JSON.parse(l) as { key: string }).key),
    ['1', '2', '3'],
  );
  const rows = lines(dir, EVAL_FILES.results).map((l) => JSON.parse(l) as { response: string | null });
  assert.ok(
    rows.every((r) => r.response !== null),
    'no unanswered prompt is scored as a failure',
  );
});

test('an evaluation writes its answers, results and summary; stopped midway it resumes without regenerating a finished answer', async () => {
  const whole = join(work, 'whole');
  const done = await runEval({ policy, suite, spec: spec(), outDir: whole, limit: 6, batchSize: 2 });
  assert.deepEqual([done.resumed, done.generated], [0, 6]);
  assert.equal(lines(whole, EVAL_FILES.answers).length, 6);
  const rows = lines(whole, EVAL_FILES.results).map(
    (l) => JSON.parse(l) as { key: string; strict: boolean[] },
  );
  assert.equal(rows.length, 6);
  for (const r of rows) assert.ok(r.strict.length > 0, `row ${r.key} has its instructions' verdicts`);
  const summary = JSON.parse(readFileSync(join(whole, EVAL_FILES.summary), 'utf8')) as Record<string, number>;
  for (const k of ['promptStrict', 'promptLoose', 'instructionStrict', 'instructionLoose', 'truncated']) {
    assert.ok(summary[k]! >= 0 && summary[k]! <= 1, k);
  }

  // Stop after two answers are in the file, then run the same evaluation again.
  const split = join(work, 'split');
  const controller = new AbortController();
  await assert.rejects(
    runEval({
      policy,
      suite,
      spec: spec(),
      outDir: split,
      limit: 6,
      batchSize: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.generated >= 2) controller.abort(new Error('stopped by the test'));
      },
    }),
    /stopped by the test/,
  );
  const kept = lines(split, EVAL_FILES.answers).length;
  assert.ok(kept >= 2 && kept < 6, `${kept} answers kept`);
  // A crash in the middle of a write leaves half a line: it is dropped and that answer regenerated.
  appendFileSync(join(split, EVAL_FILES.answers), '{"key":"half a li');
  const resumed = await runEval({ policy, suite, spec: spec(), outDir: split, limit: 6, batchSize: 2 });
  assert.deepEqual([resumed.resumed, resumed.generated], [kept, 6 - kept]);
  assert.deepEqual(sortedAnswers(split), sortedAnswers(whole));
  assert.deepEqual(lines(split, EVAL_FILES.results), lines(whole, EVAL_FILES.results));
});

test('a folder holding another evaluation is refused, naming what differs; an unknown suite lists the known ones', async () => {
  const dir = join(work, 'other');
  await runEval({ policy, suite, spec: spec(), outDir: dir, limit: 2 });
  await assert.rejects(
    runEval({ policy, suite, spec: { ...spec(), maxNewTokens: 20 }, outDir: dir, limit: 2 }),
    (err: Error) =>
      err instanceof ValidationError &&
      /maxNewTokens 12 there, 20 asked/.test(err.message) &&
      err.message.includes(dir),
  );
  assert.throws(() => getSuite('mmlu'), /unknown evaluation suite 'mmlu'; known: ifeval/);
});
