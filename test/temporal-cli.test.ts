import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { probeServer } from '../src/temporal/connection.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { stopProcess } from './process-exit.ts';
import { writeTinyModel, writeTinyRun } from './temporal-harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/anchorage.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, ANCHORAGE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('anchorage train, runs, status (the CLI on the tiny model)', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let env: Record<string, string>;
  let address: string;
  /** The dev server the first `train` started (detached: it outlives the CLI). */
  let serverPid: number | undefined;
  /** Notes the server a `train` says it started, before anything is asserted on its output. */
  const noteServer = (stdout: string) => {
    const started = /started one \(pid (\d+)/.exec(stdout);
    if (started !== null) serverPid ??= Number(started[1]);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-cli-'));
    model = await writeTinyModel({ seed: 5 });
    const port = await freePort();
    address = `localhost:${port}`;
    env = { TEMPORAL_ADDRESS: address, ANCHORAGE_DATA_DIR: join(dir, 'data') };
  });
  after(async () => {
    // The server is not a child of this process: its exit is waited on through the kernel.
    if (serverPid !== undefined) await stopProcess({ pid: serverPid });
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('a bad configuration fails before anything starts, naming file, line and field', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, `name: bad\nmodel:\n  path: ${model.path}\nrl:\n  groupSize: 1\n`);
    const { code, stdout, stderr } = await cli(['train', '--config', file], env);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`${file.replaceAll('.', '\\.')}:5.*field rl\\.groupSize`));
    assert.equal(stdout, '');
    assert.equal(await probeServer({ address, timeoutMs: 500 }), false, 'no server was started');
  });

  it('trains with a server it starts and an in-process worker, then lists and shows the run', async () => {
    const file = await writeTinyRun({
      dir: join(dir, 'tiny'),
      queuePrefix: 'cli-test',
      modelPath: model.path,
      storeDir: join(dir, 'data', 'store'),
      steps: 2,
      evaluationEvery: 2,
    });
    const train = await cli(['train', '--config', file, '--run-id', 'cli-run'], {
      ...env,
      ANCHORAGE_LOG_LEVEL: 'info',
    });
    noteServer(train.stdout);
    assert.equal(train.code, 0, train.stderr);
    // The worker's log lines go to a file under the data folder; the terminal keeps the progress.
    assert.match(train.stdout, /worker logs: .*cli-run\.log/);
    const workerLog = await readFile(join(dir, 'data', 'logs', 'cli-run.log'), 'utf8');
    assert.match(workerLog, /"trainRunId":"cli-run".*"msg":"rollouts committed"/);
    assert.doesNotMatch(train.stderr, /"level":30/, 'no info lines on the terminal');
    assert.match(train.stdout, /started one \(pid \d+/);
    const port = Number(address.split(':')[1]);
    assert.match(train.stdout, /train run id: cli-run/);
    assert.match(
      train.stdout,
      new RegExp(`Web UI: http://localhost:${port + 1000}/namespaces/default/workflows/cli-run`),
    );
    assert.match(train.stdout, /step 2\/2 done/);
    assert.match(train.stdout, /^\s+2 {2}eval\s+\d\.\d{3}/m, 'the reward table lists the evaluation');
    assert.match(train.stdout, /run completed: 2\/2 steps, last checkpoint sha256:[0-9a-f]{64}/);

    const runs = await cli(['runs'], env);
    assert.equal(runs.code, 0, runs.stderr);
    assert.match(runs.stdout, /cli-run\s+COMPLETED\s+2\s+\d\.\d{3}\s+main\s+tiny-llama/);
    const status = await cli(['status', 'cli-run'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /cli-run: COMPLETED/);
    assert.match(status.stdout, /completed: 2 steps/);
    assert.match(status.stdout, /^\s+1 {2}train/m);
  });

  it('warns that a run left on the server will be worked by the new in-process worker too', async () => {
    const file = await writeTinyRun({
      dir: join(dir, 'tiny-2'),
      queuePrefix: 'cli-test',
      modelPath: model.path,
      storeDir: join(dir, 'data', 'store'),
      steps: 1,
    });
    const detached = await cli(['train', '--config', file, '--run-id', 'left-behind', '--detach'], env);
    noteServer(detached.stdout);
    assert.equal(detached.code, 0, detached.stderr);
    assert.match(detached.stdout, /the run is on the server/);
    const train = await cli(['train', '--config', file, '--run-id', 'cli-run-2'], env);
    assert.equal(train.code, 0, train.stderr);
    assert.match(
      train.stdout,
      /note: a run is still running on these task queues and this worker will work on it too: left-behind/,
    );
    assert.match(train.stdout, /run completed: 1\/1 steps/);
  });
});
