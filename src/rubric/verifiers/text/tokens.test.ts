import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cjkShare,
  contentTokens,
  countWords,
  foldContraction,
  splitParagraphs,
  splitSentences,
  wordTokens,
} from './tokens.ts';

test('wordTokens lower-cases, keeps inner apostrophes and splits hyphens', () => {
  assert.deepEqual(wordTokens('She couldn’t help—ever-evolving, "Tapestry"!'), [
    'she',
    "couldn't",
    'help',
    'ever',
    'evolving',
    'tapestry',
  ]);
});

test('each CJK character is a word, Latin runs beside it stay whole', () => {
  assert.deepEqual(wordTokens('AI写作abc'), ['ai', '写', '作', 'abc']);
  assert.equal(countWords('请写一篇文章 about cats'), 8);
});

test('cjkShare is the share of letters that are CJK', () => {
  assert.equal(cjkShare('中文中文'), 1);
  assert.equal(cjkShare('abcd'), 0);
  assert.equal(cjkShare('中文ab'), 0.5);
  assert.equal(cjkShare('123 !'), 0);
});

test('foldContraction keeps the base word of a contraction', () => {
  assert.equal(foldContraction("couldn't"), 'could');
  assert.equal(foldContraction("can't"), 'can');
  assert.equal(foldContraction("won't"), 'will');
  assert.equal(foldContraction("she'd"), 'she');
  assert.equal(foldContraction('plain'), 'plain');
});

test('contentTokens drops stopwords after folding', () => {
  const stop = new Set(['i', 'but', 'a', 'the']);
  assert.deepEqual(contentTokens(wordTokens("I couldn't help but feel a chill"), stop), [
    'could',
    'help',
    'feel',
    'chill',
  ]);
});

test('splitSentences splits after terminal punctuation, including CJK and closing quotes', () => {
  assert.deepEqual(splitSentences('One. Two! "Three?" Four'), ['One.', 'Two!', '"Three?"', 'Four']);
  assert.deepEqual(splitSentences('第一句。第二句！'), ['第一句。', '第二句！']);
  assert.deepEqual(splitSentences('  '), []);
});

test('splitParagraphs splits on blank lines and ignores empty blocks', () => {
  assert.deepEqual(splitParagraphs('a b\nc\n\n  \n\nd\r\n\r\ne'), ['a b\nc', 'd', 'e']);
});
