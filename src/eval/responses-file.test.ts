import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readResponsesFile } from './responses-file.ts';

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'responses-')), 'responses.jsonl');
  writeFileSync(path, text);
  return path;
};

describe('readResponsesFile', () => {
  it("takes IFEval's numeric keys, a prompt source's string ids and prompt texts", () => {
    const path = file(
      [
        JSON.stringify({ key: 1001, response: 'a' }),
        JSON.stringify({ key: 'constraints/s3-0', response: 'b' }),
        JSON.stringify({ prompt: 'Describe rain.', response: null }),
      ].join('\n'),
    );
    assert.deepEqual(readResponsesFile(path), [
      { key: '1001', response: 'a', location: { file: path, line: 1 } },
      { key: 'constraints/s3-0', response: 'b', location: { file: path, line: 2 } },
      { text: 'Describe rain.', response: '', location: { file: path, line: 3 } },
    ]);
  });

  it('names the file and line of a line with neither key nor prompt', () => {
    const path = file(`${JSON.stringify({ key: 1, response: 'a' })}\n${JSON.stringify({ response: 'b' })}\n`);
    assert.throws(
      () => readResponsesFile(path),
      (e: Error) => e.message.includes(`${path}:2`) && e.message.includes('a `key` or a `prompt` field'),
    );
  });
});
