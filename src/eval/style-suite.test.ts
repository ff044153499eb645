import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Policy } from '../engine/policy.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import type { AnswerLine } from './answers-file.ts';
import { EVAL_FILES } from './eval-folder.ts';
import { runEval } from './run-eval.ts';
import { readStylePrompts, scoreStyle, styleSuite } from './style-suite.ts';

const work = mkdtempSync(join(tmpdir(), 'anchorage-style-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Prompts in Arena-Hard's question format, short enough for the tiny model's context. */
const promptsFile = join(work, 'prompts.jsonl');
writeFileSync(
  promptsFile,
  ['a1', 'b2', 'c3']
    .map((uid, i) => JSON.stringify({ uid: `${uid}00`, category: 'creative_writing', prompt: `Poem ${i}.` }))
    .map((l) => `${l}\n`)
    .join(''),
);

// Hand-counted (see style-measures.test.ts): T1 has 16 words and 6 hits of the human-tone lists
// together (5 of slop-score's word list, 4 of antislop-curated); T2 has 6 words and no hit; the
// filler has 60 words and no hit.
const T1 = 'Elara let her gaze delve into the tapestry of stars. Her voice was barely a whisper.';
const T2 = 'The cat sat on the mat.';
const FILLER = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

test('style scores of fixed answers: pooled rates, length, human-tone reward, beside the human baseline', async () => {
  const prompts = readStylePrompts(promptsFile);
  assert.deepEqual(
    prompts.map((p) => p.key),
    ['arena-hard/v2.0/a100', 'arena-hard/v2.0/b200', 'arena-hard/v2.0/c300'],
  );
  const answer = (key: string, response: string, tokens: number, finishReason: AnswerLine['finishReason']) =>
    [key, { key, response, tokens, finishReason }] as const;
  const answers = new Map([
    answer(prompts[0]!.key, T1, 20, 'stop'),
    answer(prompts[1]!.key, T2, 8, 'length'),
    answer(prompts[2]!.key, FILLER, 90, 'stop'),
  ]);
  const { rows, summary, table } = await scoreStyle({ prompts, answers });
  const close = (key: string, value: number) =>
    assert.ok(Math.abs(summary[key]! - value) < 1e-9, `${key}: ${summary[key]} != ${value}`);
  close('answered', 3);
  close('words/mean', (16 + 6 + 60) / 3);
  close('tokens/mean', (20 + 8 + 90) / 3);
  close('truncated', 1 / 3);
  close('rate/all', 6000 / 82);
  close('rate/slop-score-words', 5000 / 82);
  close('rate/tone.curated-slop', 4000 / 82);
  close('rate/slop-score-trigrams', 1000 / 82);
  // T2 was cut off by the limit: the finished answers are T1 and the filler (76 words, 6 hits).
  close('finished', 2);
  close('rate/all/finished', 6000 / 76);
  close('human/rate/slop-score-words', 6.898569416278464);
  // Under 50 words the rate criteria are unscorable, and one criterion of five is too few: only the
  // filler is scored, with every rate at the human level and no disclaimer: reward 1.
  close('humanTone/scored', 1);
  close('humanTone/mean', 1);
  const row = rows[0] as { words: number; hits: Record<string, number>; humanTone: number | null };
  assert.equal(row.words, 16);
  assert.equal(row.hits['all'], 6);
  assert.equal(row.humanTone, null);
  assert.ok(
    table.some((l) => /slop-score word list\s+60\.98\s+6\.90\s+5\.61 \/ 23\.44 \/ 40\.44/.test(l)),
    table.join('\n'),
  );
  for (const v of Object.values(summary)) assert.equal(typeof v, 'number');
});

test('the style suite generates with the tiny model and writes rates per answer', async () => {
  const model = await writeTinyModel({
    seed: 9,
    chatTemplate:
      "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}",
  });
  const policy = await Policy.load({ model: model.path });
  try {
    const dir = join(work, 'run');
    const suite = styleSuite({ promptsFile });
    assert.equal(suite.kind, 'generation');
    const result = await runEval({
      policy,
      suite,
      spec: { model: model.path, checkpoint: null, maxNewTokens: 12 },
      outDir: dir,
    });
    assert.equal(result.generated, 3);
    const rows = readFileSync(join(dir, EVAL_FILES.results), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { words: number; tokens: number; hits: Record<string, number> });
    assert.equal(rows.length, 3);
    for (const r of rows) {
      assert.ok(r.tokens > 0 && r.tokens <= 12);
      assert.equal(typeof r.hits['all'], 'number');
    }
    const summary = JSON.parse(readFileSync(join(dir, EVAL_FILES.summary), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(summary['suite'], 'style');
    assert.equal(summary['input'], promptsFile);
    assert.equal(summary['tokens/mean'], rows.reduce((n, r) => n + r.tokens, 0) / 3);
  } finally {
    await policy.close();
    await model.dispose();
  }
});
