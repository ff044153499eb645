import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { parseJsonl } from './jsonl.ts';

const Row = z.strictObject({ key: z.number().int(), text: z.string() });

test('parses lines and keeps their numbers, skipping blanks', () => {
  const rows = parseJsonl({ text: '{"key":1,"text":"a"}\n\n{"key":2,"text":"b"}\n', file: 'x.jsonl', schema: Row });
  assert.deepEqual(
    rows.map((r) => [r.line, r.value.key]),
    [
      [1, 1],
      [3, 2],
    ],
  );
});

test('bad JSON names the file and line', () => {
  assert.throws(() => parseJsonl({ text: '{"key":1,"text":"a"}\n{oops', file: 'x.jsonl', schema: Row }), /x\.jsonl:2: expected one JSON value/);
});

test('a wrong field names the file, line and field', () => {
  assert.throws(
    () => parseJsonl({ text: '{"key":"one","text":"a"}', file: 'x.jsonl', schema: Row }),
    /x\.jsonl:1, field key: .*expected number/,
  );
});
