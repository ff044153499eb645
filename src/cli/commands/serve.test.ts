import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeTinyModel } from '../../engine/testing/tiny-model.ts';
import { TINY_CHAT_TEMPLATE } from '../../train/testing/tiny-run.ts';

const BIN = fileURLToPath(new URL('../../../bin/anchorage.mjs', import.meta.url));
let model: { path: string; dispose: () => Promise<void> };

before(async () => {
  model = await writeTinyModel({ chatTemplate: TINY_CHAT_TEMPLATE });
});
after(async () => {
  await model.dispose();
});

test('anchorage serve answers on the port it prints, names the model after its file, and exits 0 on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--model', model.path, '--port', '0', '--threads', '1'],
    {
      env: { ...process.env, ANCHORAGE_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /serving (\S+) at (\S+)\/v1/.exec(stdout);
      if (m !== null) resolve(m[2] as string);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before serving: ${stderr}`)));
  });
  assert.match(stdout, /serving tiny at http:\/\/127\.0\.0\.1:\d+\/v1/);
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { usage: { completion_tokens: number } };
  assert.ok(body.usage.completion_tokens >= 1 && body.usage.completion_tokens <= 3);
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, stderr);
});

test('anchorage serve refuses flags that do not go together before it loads anything', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--model', model.path, '--step', '3'], {
    env: { ...process.env, ANCHORAGE_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /--step goes with --run <trainRunId>/);
});
