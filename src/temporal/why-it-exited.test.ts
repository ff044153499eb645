import assert from 'node:assert/strict';
import { test } from 'node:test';
import { whyItExited } from './dev-server.ts';

test("a server's exit reason: the panic line above a long goroutine dump, then the last lines", () => {
  const dump = Array.from({ length: 40 }, (_, i) => `\tgoroutine frame ${i}`);
  const lines = [
    'Temporal CLI 1.9.1',
    'panic: listen tcp 127.0.0.1:45875: bind: address already in use',
    '',
    ...dump,
  ];
  const text = whyItExited(lines);
  assert.match(text.split('\n')[0]!, /^panic: listen tcp .*address already in use/);
  assert.equal(text.split('\n')[1], '...');
  assert.ok(text.endsWith('goroutine frame 39'));
  // Short output is given whole, with no line twice.
  assert.equal(whyItExited(['a', 'error: boom', 'b']), 'a\nerror: boom\nb');
  assert.equal(whyItExited([]), '');
});
