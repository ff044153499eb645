import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenizeWords } from './word-tokenizer.ts';

describe('NLTK-style word tokens', () => {
  it('splits punctuation, contractions and the final period', () => {
    assert.deepEqual(tokenizeWords("I can't go, NASA's rover won't wait."), [
      'I',
      'ca',
      "n't",
      'go',
      ',',
      'NASA',
      "'s",
      'rover',
      'wo',
      "n't",
      'wait',
      '.',
    ]);
  });

  it('keeps hyphenated words and inner periods, splits quotes and brackets', () => {
    assert.deepEqual(tokenizeWords('"A well-known (U.S.) firm" cannot fail.'), [
      '``',
      'A',
      'well-known',
      '(',
      'U.S.',
      ')',
      'firm',
      "''",
      'can',
      'not',
      'fail',
      '.',
    ]);
  });
});
