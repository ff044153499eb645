import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findSpan, quotedRanges } from './spans.ts';

test('quotedRanges covers straight, curly and CJK quotes; an unclosed quote ends at its paragraph', () => {
  const text = 'a "b" c “d” e 「f」 g "h\n\ni';
  const inside = (i: number) => quotedRanges(text).some(([s, e]) => i >= s && i < e);
  assert.ok(inside(text.indexOf('b')));
  assert.ok(inside(text.indexOf('d')));
  assert.ok(inside(text.indexOf('f')));
  assert.ok(inside(text.indexOf('h')));
  for (const ch of ['a', 'c', 'e', 'g', 'i']) assert.ok(!inside(text.indexOf(ch)), ch);
});

test('findSpan skips quoted matches and spans the prompt contains, and reports the earliest', () => {
  const patterns = [/\bfoo\b/gi, /\bbar\b/gi];
  assert.deepEqual(findSpan({ text: 'x bar foo', prompt: '', patterns }), { text: 'bar', index: 2 });
  assert.deepEqual(findSpan({ text: '"foo" then foo', prompt: '', patterns: [/\bfoo\b/gi] }), {
    text: 'foo',
    index: 11,
  });
  assert.equal(findSpan({ text: 'foo', prompt: 'Say FOO please', patterns }), undefined);
  assert.deepEqual(findSpan({ text: '"foo"', prompt: '', patterns, inQuotes: true }), {
    text: 'foo',
    index: 1,
  });
  assert.equal(findSpan({ text: 'foo bar', prompt: '', patterns, from: 1, to: 3 }), undefined);
});
