import assert from 'node:assert/strict';
import { test } from 'node:test';
import { length } from './length.ts';

const run = (response: string, p: Record<string, unknown>) => {
  const r = length.verify({ prompt: '', response, params: length.params.parse(p) });
  assert.ok('score' in r);
  return r;
};

test('words within, below and above the range', () => {
  assert.equal(run('one two three', { min: 2, max: 3 }).score, 1);
  assert.equal(run('one', { min: 2 }).score, 0);
  const over = run('a b c d e', { max: 4 });
  assert.equal(over.score, 0);
  assert.equal(over.reason, '5 words, outside 0..4 words');
});

test('slack gives partial credit outside the range', () => {
  // max 100, slack 0.5: 0 at 150 words; 125 words scores 0.5.
  const text = Array.from({ length: 125 }, () => 'w').join(' ');
  const r = run(text, { max: 100, slack: 0.5 });
  assert.equal(r.score, 0.5);
  assert.match(r.reason, /125 words, outside 0\.\.100 words \(score 0\.5\)/);
  // min 100, slack 0.5: 0 at 50 words.
  assert.equal(run(Array.from({ length: 75 }, () => 'w').join(' '), { min: 100, slack: 0.5 }).score, 0.5);
});

test('characters, sentences and paragraphs', () => {
  assert.equal(run('  héllo  ', { unit: 'characters', min: 5, max: 5 }).score, 1);
  assert.equal(run('One. Two? Three!', { unit: 'sentences', min: 3, max: 3 }).score, 1);
  assert.equal(run('P1 line\nstill P1\n\nP2\n\n\nP3', { unit: 'paragraphs', max: 2 }).score, 0);
  assert.equal(run('中文五个字', { min: 5, max: 5 }).score, 1, 'CJK characters count as words');
});

test('params need min or max, min <= max, integers', () => {
  const bad = (p: Record<string, unknown>) => {
    const r = length.params.safeParse(p);
    assert.ok(!r.success);
    return r.error.issues[0]!.path.join('.');
  };
  assert.equal(bad({}), 'min');
  assert.equal(bad({ min: 5, max: 2 }), 'max');
  assert.equal(bad({ min: 1.5 }), 'min');
  assert.equal(bad({ unit: 'pages', max: 2 }), 'unit');
});
