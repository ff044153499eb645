import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { probeServer } from '../../temporal/connection.ts';
import { freePort } from '../../temporal/free-port.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'anchorage-cli-devserver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('anchorage dev-server starts, serves the Web UI, and stops cleanly on SIGINT', async () => {
  const port = await freePort();
  const uiPort = await freePort();
  const db = join(dir, 'cli.sqlite');
  const child = spawn(
    process.execPath,
    ['bin/anchorage.mjs', 'dev-server', '--port', String(port), '--ui-port', String(uiPort), '--db', db],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stdout: string[] = [];
  const ready = new Promise<void>((res, rej) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      stdout.push(line);
      if (line.startsWith('Press Ctrl-C')) res();
    });
    lines.once('close', () =>
      rej(new Error(`dev-server ended before it was ready:\n${stdout.join('\n')}\n${stderr}`)),
    );
  });
  try {
    await ready;
    assert.deepEqual(stdout.slice(0, 3), [
      `Temporal server: localhost:${port}`,
      `Web UI: http://localhost:${uiPort}`,
      `Persistence: ${db}`,
    ]);
    assert.match(
      stdout[3]!,
      /^Search attributes: TrainRunId \(KEYWORD\), TrainStep \(INT\), TrainStage \(KEYWORD\), MeanReward \(DOUBLE\), ModelName \(KEYWORD\)$/,
    );
    assert.ok(existsSync(db));
    assert.equal(await probeServer({ address: `localhost:${port}` }), true);
    const page = await fetch(`http://localhost:${uiPort}/`);
    assert.equal(page.status, 200, 'the Web UI answers');
    await page.arrayBuffer();
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /SIGINT received; stopping the Temporal server/);
  assert.equal(stdout.at(-1), 'Temporal server stopped.');
  assert.equal(await probeServer({ address: `localhost:${port}`, timeoutMs: 500 }), false);
});
