import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeTinyModel } from '../../engine/testing/tiny-model.ts';

const BIN = fileURLToPath(new URL('../../../bin/anchorage.mjs', import.meta.url));
const run = promisify(execFile);
let model: { path: string; dispose: () => Promise<void> };

before(async () => {
  model = await writeTinyModel();
});
after(async () => {
  await model.dispose();
});

test('anchorage generate --json prints token ids, text and per-token log-probs; the seed reproduces it', async () => {
  const args = [
    BIN,
    'generate',
    '--model',
    model.path,
    '--prompt',
    'hello',
    '--max-new-tokens',
    '5',
    '--seed',
    '3',
    '--json',
  ];
  const env = { ...process.env, ANCHORAGE_LOG_LEVEL: 'silent' };
  const first = JSON.parse((await run(process.execPath, args, { env })).stdout);
  assert.deepEqual(first.promptIds, [104, 101, 108, 108, 111]);
  assert.equal(first.tokenIds.length, 5);
  assert.equal(first.logprobs.length, 5);
  assert.equal(first.samplingLogprobs.length, 5);
  assert.equal(typeof first.text, 'string');
  assert.equal(first.finishReason, 'length');
  const again = JSON.parse((await run(process.execPath, args, { env })).stdout);
  assert.deepEqual(again.tokenIds, first.tokenIds);
});

test('anchorage generate names a bad flag', async () => {
  const args = [BIN, 'generate', '--model', model.path, '--prompt', 'x', '--top-k', '1.5'];
  await assert.rejects(run(process.execPath, args), (err: { stderr: string; code: number }) => {
    assert.match(err.stderr, /--top-k: expected an integer >= 0, got '1.5'/);
    assert.equal(err.code, 2);
    return true;
  });
});
