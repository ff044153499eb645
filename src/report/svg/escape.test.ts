import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeMarkup, visibleText } from './escape.ts';

test('markup characters are escaped for content and attributes', () => {
  assert.equal(escapeMarkup(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('control characters become visible control pictures; tabs and newlines stay', () => {
  assert.equal(visibleText('a\u0000b\u0007c\td\ne\u007f'), 'a\u2400b\u2407c\td\ne\u2421');
  assert.equal(visibleText('x\ud800y'), 'x\ufffdy');
  assert.equal(visibleText('😀 <'), '😀 &lt;');
});
