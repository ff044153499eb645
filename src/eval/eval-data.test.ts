import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ARENA_HARD_CREATIVE_TASKS } from '../data/generator/arena-hard-creative.ts';
import { BASE_TASK_POOLS } from '../data/generator/generate.ts';
import { wordTokens } from '../rubric/verifiers/text/tokens.ts';
import { perplexitySuite } from './perplexity-suite.ts';
import { STYLE_PROMPTS_FILE, styleSuite } from './style-suite.ts';

/** Word n-grams of a text (the verifiers' words: lower-cased, punctuation dropped). */
function ngrams(text: string, n = 8): Set<string> {
  const words = wordTokens(text);
  const out = new Set<string>();
  for (let i = 0; i + n <= words.length; i++) out.add(words.slice(i, i + n).join(' '));
  return out;
}

const baseTasks = Object.values(BASE_TASK_POOLS).flat();
const trainingGrams = new Set(baseTasks.flatMap((t) => [...ngrams(t.text)]));

/** The first shared 8-gram of `text` with `grams`, if any. */
function shared(text: string, grams: ReadonlySet<string>): string | undefined {
  return [...ngrams(text)].find((g) => grams.has(g));
}

test('the style suite: 64 Arena-Hard v2.0 creative-writing prompts, none a base task of the constraint generator', () => {
  const rows = readFileSync(STYLE_PROMPTS_FILE, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { uid: string; category: string; prompt: string });
  assert.equal(rows.length, 64);
  assert.ok(rows.every((r) => r.category === 'creative_writing'));
  const prompts = styleSuite().prompts();
  assert.equal(prompts.length, 64);
  assert.equal(new Set(prompts.map((p) => p.key)).size, 64);
  assert.ok(trainingGrams.size > 500, `${trainingGrams.size} 8-grams of base tasks`);
  const pooled = ARENA_HARD_CREATIVE_TASKS[0]!.text;
  assert.notEqual(shared(pooled, trainingGrams), undefined, 'a base task shares its own 8-grams');
  const poolIds = new Set(baseTasks.map((t) => t.id));
  const poolTexts = new Set(baseTasks.map((t) => t.text.trim()));
  assert.ok(poolIds.has('arena-hard:5ab052c7cef84016'), 'the pool names Arena-Hard prompts by uid');
  for (const r of rows) {
    assert.ok(!poolIds.has(`arena-hard:${r.uid}`), `${r.uid} is a base task`);
    assert.ok(!poolTexts.has(r.prompt.trim()), `${r.uid} is a base task's text`);
    const gram = shared(r.prompt, trainingGrams);
    assert.equal(gram, undefined, `${r.uid} shares "${gram}" with a base task`);
  }
});

test('the perplexity texts share no word 8-gram with the base tasks or the style prompts', () => {
  const styleGrams = new Set(
    styleSuite()
      .prompts()
      .flatMap((p) => [...ngrams(p.text)]),
  );
  for (const t of perplexitySuite().texts()) {
    const gram = shared(t.text, trainingGrams) ?? shared(t.text, styleGrams);
    assert.equal(gram, undefined, `${t.key} shares "${gram}"`);
  }
});
