import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Installs the server (`scripts/setup.sh --test` runs it). */
export const SETUP_MOTO_COMMAND = 'bash scripts/setup-moto.sh';
const MOTO_SERVER = resolve(import.meta.dirname, '../../../.tools/moto-venv/bin/moto_server');
/** How long a starting server may take to listen before the test fails (a cold Python start). */
const START_TIMEOUT_MS = 60_000;

/** A moto S3 server (an S3-compatible server in one Python process) for tests. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts moto's standalone server on a free port (port 0: the system picks one, so no two tests
 * race for it) and resolves once it listens: werkzeug prints `Running on http://127.0.0.1:<port>`
 * after binding the socket. A missing server is an error naming the setup command: the S3 tests
 * must fail, not skip, where moto is not installed.
 */
export async function startMotoServer(): Promise<MotoServer> {
  if (!existsSync(MOTO_SERVER)) {
    throw new Error(`moto's S3 server is not installed (${MOTO_SERVER}); run \`${SETUP_MOTO_COMMAND}\``);
  }
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const endpoint = await listening(child);
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise<string>((res, rej) => {
    let output = '';
    const done = (fn: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the server's request log so its pipe never fills.
      child.stdout?.resume();
      child.stderr?.resume();
      fn();
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url !== undefined) done(() => res(url));
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(() => rej(new Error(`moto_server exited (${code ?? signal}) before it listened:\n${output}`)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(() =>
        rej(new Error(`moto_server did not listen within ${START_TIMEOUT_MS / 1000} s:\n${output}`)),
      );
    }, START_TIMEOUT_MS);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
