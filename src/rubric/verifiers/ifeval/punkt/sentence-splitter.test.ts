import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countSentences, splitSentences } from './sentence-splitter.ts';

describe('Punkt sentence splitter (English model)', () => {
  it('splits plain sentences and keeps known abbreviations inside', () => {
    assert.deepEqual(splitSentences('Dr. Smith went home. He was tired.'), [
      'Dr. Smith went home.',
      'He was tired.',
    ]);
    assert.deepEqual(splitSentences('The U.S. economy grew. Prices rose!'), [
      'The U.S. economy grew.',
      'Prices rose!',
    ]);
  });

  it('treats a run of end marks inside one word as one candidate', () => {
    assert.deepEqual(splitSentences('Very bad acting!!! I promise.'), ['Very bad acting!!!', 'I promise.']);
  });

  it('moves closing quotes and brackets onto the sentence they close', () => {
    assert.deepEqual(splitSentences('(He left.) Then she came.'), ['(He left.)', 'Then she came.']);
    assert.deepEqual(splitSentences('She said "stop." We stopped.'), ['She said "stop."', 'We stopped.']);
  });

  it('reads the orthographic context after numbers and initials', () => {
    // "visit" is seen lower-case mid-sentence in training: "2. visit" does not end a sentence.
    assert.equal(countSentences('Step 2. visit the temple.'), 1);
    // A capitalised word after a list number does: each list marker counts as a sentence of its own.
    assert.deepEqual(splitSentences('1. The first point.\n2. The second point.'), [
      '1.',
      'The first point.',
      '2.',
      'The second point.',
    ]);
    assert.deepEqual(splitSentences('J. Walter Thompson founded it.'), ['J. Walter Thompson founded it.']);
  });

  it('counts nothing in an empty or blank text', () => {
    assert.equal(countSentences(''), 0);
    assert.equal(countSentences('   \n '), 0);
    assert.equal(countSentences('no end mark at all'), 1);
  });
});
