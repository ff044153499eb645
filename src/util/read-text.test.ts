import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from './errors.ts';
import { decodeUtf8, firstInvalidUtf8, readTextFile } from './read-text.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);

test('firstInvalidUtf8 finds each kind of malformed sequence', () => {
  assert.equal(firstInvalidUtf8(new TextEncoder().encode('héllo 😀 ✓')), -1);
  assert.equal(firstInvalidUtf8(bytes(0x61, 0x80)), 1, 'a lone continuation byte');
  assert.equal(firstInvalidUtf8(bytes(0xc0, 0xaf)), 0, 'an overlong form');
  assert.equal(firstInvalidUtf8(bytes(0xe0, 0x80, 0xaf)), 0, 'an overlong three-byte form');
  assert.equal(firstInvalidUtf8(bytes(0xed, 0xa0, 0x80)), 0, 'a UTF-16 surrogate');
  assert.equal(firstInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80)), 0, 'above U+10FFFF');
  assert.equal(firstInvalidUtf8(bytes(0x61, 0x62, 0xe2, 0x82)), 2, 'a sequence cut short');
  assert.equal(firstInvalidUtf8(bytes(0xff)), 0);
});

test('firstInvalidUtf8 agrees with a strict TextDecoder on random bytes', () => {
  const strict = new TextDecoder('utf-8', { fatal: true });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), (b) => {
      let valid = true;
      try {
        strict.decode(b);
      } catch {
        valid = false;
      }
      assert.equal(firstInvalidUtf8(b) === -1, valid);
    }),
    { numRuns: 2000 },
  );
});

test('decodeUtf8 names the file, line and column of the first bad byte', () => {
  const err = (() => {
    try {
      decodeUtf8({ bytes: bytes(0x61, 0x0a, 0x62, 0x63, 0xff, 0x0a), file: 'in.jsonl', what: 'input' });
    } catch (e) {
      return e;
    }
    assert.fail('decoded invalid UTF-8');
  })();
  assert.ok(err instanceof ValidationError);
  assert.deepEqual(err.location, { file: 'in.jsonl', line: 2, column: 3 });
  assert.equal(
    err.message,
    'in.jsonl:2:3: expected UTF-8 text in this input; byte 0xff at offset 4 is not valid UTF-8 (save the file as UTF-8)',
  );
  assert.equal(
    decodeUtf8({ bytes: bytes(0xef, 0xbb, 0xbf, 0x61), file: 'bom.txt' }),
    'a',
    'a BOM is dropped',
  );
});

test('readTextFile: a missing file, a folder and a good file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'read-text-'));
  assert.throws(() => readTextFile(join(dir, 'absent.yaml'), 'rubric file'), {
    name: 'ValidationError',
    message: `${join(dir, 'absent.yaml')}: cannot read rubric file: no such file`,
  });
  assert.throws(() => readTextFile(dir), /cannot read file: expected a file, found a folder/);
  writeFileSync(join(dir, 'ok.txt'), 'fine ✓\n');
  assert.equal(readTextFile(join(dir, 'ok.txt')), 'fine ✓\n');
});
