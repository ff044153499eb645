import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findControlCharacter, textField } from './text-field.ts';

test('textField refuses control characters and bidi overrides, names the code point', () => {
  const field = textField({ min: 1 });
  assert.equal(
    field.parse('Tabs\tand\nnew lines\r\nare fine, as is ünïcödé 😀'),
    'Tabs\tand\nnew lines\r\nare fine, as is ünïcödé 😀',
  );
  for (const [text, code, at] of [
    ['bell\u0007', 'U+0007', 5],
    ['\u0000nul', 'U+0000', 1],
    ['del\u007f', 'U+007F', 4],
    ['c1\u0085', 'U+0085', 3],
    ['esc\u001b[31m', 'U+001B', 4],
    ['rtl \u202e override', 'U+202E', 5],
    ['isolate \u2066x\u2069', 'U+2066', 9],
  ] as const) {
    assert.deepEqual(findControlCharacter(text), { codePoint: code, index: at - 1 });
    const r = field.safeParse(text);
    assert.ok(!r.success, text);
    assert.equal(
      r.error.issues[0]!.message,
      `text without control characters (found ${code} at character ${at})`,
    );
  }
  assert.ok(!field.safeParse('').success, 'min length still applies');
});
