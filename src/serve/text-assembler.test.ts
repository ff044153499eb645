import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextAssembler } from './text-assembler.ts';

/** A byte-level decoder: token t is byte t; bytes 256+ are special and decode to nothing. */
const decode = (ids: readonly number[]) =>
  new TextDecoder().decode(Uint8Array.from(ids.filter((i) => i < 256)));
const bytes = (s: string) => [...new TextEncoder().encode(s)];

function run(
  text: string,
  stops: string[],
): { pieces: string[]; rest: string; stopped: boolean; tokens: number } {
  const a = new TextAssembler({ decode, stops, stopIds: new Set([257]) });
  const pieces = [...bytes(text), 257].map((t) => a.push(t));
  return { pieces, rest: a.finish(), stopped: a.stopped, tokens: a.tokens };
}

test('streamed pieces join to the decoded text; a split UTF-8 character waits for its last byte', () => {
  const { pieces, rest, stopped } = run('añ🙂b', []);
  assert.equal(pieces.join('') + rest, 'añ🙂b');
  assert.ok(!pieces.some((p) => p.includes('\uFFFD')));
  assert.deepEqual(pieces.slice(0, 3), ['a', '', 'ñ']);
  assert.equal(stopped, false);
});

test('a stop string ends the text before it; its first characters are held until they cannot be one', () => {
  const { pieces, rest, stopped, tokens } = run('one. END two', ['END', '##']);
  assert.equal(pieces.join('') + rest, 'one. ');
  assert.equal(stopped, true);
  assert.equal(tokens, 'one. END'.length, 'tokens after the stop are not taken');
  // 'E' and 'EN' were held, then released as part of the stop (never sent).
  const partial = run('a EN b', ['END']);
  assert.equal(partial.pieces.join('') + partial.rest, 'a EN b');
  assert.equal(partial.stopped, false);
  assert.equal(partial.pieces[3], '', "'E' may start 'END': held");
});

test('a stop string that arrives inside one token still cuts there; the earliest stop wins', () => {
  const a = new TextAssembler({
    decode: (ids) => ids.map((i) => ['x', 'y<|', 'z'][i]).join(''),
    stops: ['<|', 'z'],
    stopIds: new Set(),
  });
  assert.equal(a.push(0), 'x');
  assert.equal(a.push(1), 'y');
  assert.ok(a.stopped);
  assert.equal(a.push(2), '');
  assert.equal(a.finish(), '');
});
