import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  escapeRegExp,
  PY_WORD_BOUNDARY,
  pyIsLower,
  pyIsUpper,
  pySplit,
  pyStrip,
  pyStripChars,
} from './py-text.ts';

describe('Python string semantics', () => {
  it('strips what Python strips, and only that', () => {
    assert.equal(pyStrip(' \t\n\x1c\x85 a b \u3000'), 'a b');
    // U+FEFF is not whitespace to Python, though JavaScript's trim() removes it.
    assert.equal(pyStrip('\ufeffa'), '\ufeffa');
    assert.equal(pyStripChars('**bold**', '*'), 'bold');
  });

  it('splits on whitespace runs like str.split()', () => {
    assert.deepEqual(pySplit('  one\ttwo\n\nthree  '), ['one', 'two', 'three']);
    assert.deepEqual(pySplit('   '), []);
  });

  it('isupper / islower need a cased character and no character of the other case', () => {
    assert.equal(pyIsUpper('HELLO, WORLD 123'), true);
    assert.equal(pyIsUpper('123 !!'), false);
    assert.equal(pyIsUpper('HELLo'), false);
    assert.equal(pyIsUpper('ÉTÉ'), true);
    assert.equal(pyIsLower('hello, world'), true);
    assert.equal(pyIsLower('hello World'), false);
    assert.equal(pyIsLower('ǅ'), false); // title case counts as neither
  });

  it('word boundaries are Unicode-aware', () => {
    const re = new RegExp(`${PY_WORD_BOUNDARY}café${PY_WORD_BOUNDARY}`, 'iu');
    assert.equal(re.test('un CAFÉ noir'), true);
    assert.equal(re.test('cafés'), false);
    assert.equal(new RegExp(escapeRegExp('e.g. (a+b)'), 'u').test('see e.g. (a+b)'), true);
  });
});
