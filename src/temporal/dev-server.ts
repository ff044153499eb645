import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { SearchAttributeType } from '@temporalio/common';
import { TransportError, ValidationError } from '../util/errors.ts';
import { logger } from '../util/logger.ts';
import { findTemporalBinary } from './binary.ts';
import { probeServer, waitForServer } from './connection.ts';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.ts';
import { searchAttributeFlags } from './search-attributes.ts';

const log = logger('temporal-dev-server');

/** Where the server's own output goes. */
export type DevServerOutput =
  /** Its log lines are copied to this process's stderr until `stop` is called (shutdown noise is dropped). */
  | { type: 'stderr' }
  /** Its output is appended to a file; used for detached servers that outlive this process. */
  | { type: 'file'; path: string };

export interface DevServerOptions {
  /** SQLite file holding the server's state; created with its folder when missing. */
  dbFile: string;
  /** Front-end gRPC port (default 7233). */
  port?: number;
  /** Interface to bind (default localhost). */
  ip?: string;
  /** Web UI port (default port + 1000); `false` runs without the UI. */
  uiPort?: number | false;
  /** Namespaces created at launch besides `default`. */
  namespaces?: readonly string[];
  searchAttributes?: readonly { name: string; type: SearchAttributeType }[];
  /** Server log level (default warn). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  output?: DevServerOutput;
  /** Start in its own process group and let this process exit without it. */
  detached?: boolean;
  /** Path of the `temporal` binary (default: `findTemporalBinary()`). */
  binary?: string;
  startTimeoutMs?: number;
}

/** A running dev server started by this process. */
export interface DevServerHandle {
  /** `host:port` of the front end, for clients and workers. */
  address: string;
  /** Web UI address, when the UI runs. */
  uiUrl: string | undefined;
  dbFile: string;
  pid: number;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

function hostForAddress(ip: string): string {
  return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
}

/**
 * SQLite settings of the dev server's file. Write-ahead logging with `synchronous=normal` commits a
 * transaction with one append to the log instead of rewriting the journal and syncing the database
 * file each time: every history event is a transaction, and with the defaults each activity's
 * schedule, start and completion waited 20-60 ms on the disk (a tiny-model step spent most of its
 * ~0.8 s there; `anchorage bench orchestration`). A killed server process loses nothing committed
 * (the log is in the file system; the restart and chaos tests SIGKILL it); only an operating-system
 * crash or power loss may roll back the last transactions, which a dev server may accept.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

/**
 * Dynamic configuration of the dev servers the project starts (and of the test servers,
 * src/temporal/test-env.ts). The history service hands each new workflow or activity task to
 * matching through its transfer queue, which it reads at most `history.transferProcessorMaxPollRPS`
 * times a second (20 by default, with a small burst): once a run's tasks came back to back, every
 * one waited 35-50 ms for its turn, about 8 waits per training step. At 10,000 the wait is the
 * server's own 2-6 ms (`anchorage bench orchestration`: a tiny-model step went from 0.51 s to
 * 0.25 s). docker-compose.yml's server loads the same keys from deploy/temporal/dynamicconfig.yaml
 * (test/docker-compose.test.ts checks they agree); a self-hosted cluster can set them in its own.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['history.transferProcessorMaxPollRPS=10000'] as const;

/**
 * Starts `temporal server start-dev` with SQLite persistence and the project's search attributes,
 * and resolves once the front end answers. Fails (without starting) when something already answers
 * at the address, and fails with the tail of the server's output when it exits during start-up.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServerHandle> {
  const port = options.port ?? 7233;
  const ip = options.ip ?? 'localhost';
  const uiPort = options.uiPort === undefined ? port + 1000 : options.uiPort;
  const address = `${hostForAddress(ip)}:${port}`;
  const dbFile = resolve(options.dbFile);
  const output = options.output ?? { type: 'stderr' };
  const binary = options.binary ?? findTemporalBinary();
  for (const [flag, value] of [
    ['port', port],
    ['ui port', uiPort === false ? 1 : uiPort],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new ValidationError(`${flag}: expected an integer in 1..65535, got ${value}`);
    }
  }
  if (await probeServer({ address, timeoutMs: 500 })) {
    throw new TransportError(
      `a Temporal server already answers at ${address}; stop it or choose another --port`,
      {
        retryable: false,
      },
    );
  }
  mkdirSync(dirname(dbFile), { recursive: true });

  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    ip,
    '--port',
    String(port),
    '--log-level',
    options.logLevel ?? 'warn',
    ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
    ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
    ...(uiPort === false ? ['--headless'] : ['--ui-port', String(uiPort), '--ui-disable-news-fetch']),
    ...(options.namespaces ?? []).flatMap((n) => ['--namespace', n]),
    ...searchAttributeFlags(options.searchAttributes ?? SEARCH_ATTRIBUTES),
  ];

  let logFd: number | undefined;
  if (output.type === 'file') {
    mkdirSync(dirname(output.path), { recursive: true });
    logFd = openSync(output.path, 'a');
  }
  let child: ChildProcess;
  try {
    child = spawn(binary, args, {
      detached: options.detached ?? false,
      stdio: logFd === undefined ? ['ignore', 'ignore', 'pipe'] : ['ignore', logFd, logFd],
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (logFd !== undefined) closeSync(logFd);
  }
  log.debug({ binary, args, pid: child.pid }, 'spawned temporal server');

  let stopping = false;
  const recent: string[] = [];
  let firstError: string | undefined;
  if (child.stderr !== null) {
    const lines = createInterface({ input: child.stderr });
    lines.on('line', (line) => {
      if (firstError === undefined && ERROR_LINE.test(line)) firstError = line;
      recent.push(line);
      if (recent.length > 20) recent.shift();
      // The server logs errors about cancelled polls while it shuts down; they mean nothing.
      if (!stopping) process.stderr.write(`temporal: ${line}\n`);
    });
  }
  let exitStatus: number | string | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<number | string>((resolveExit) => {
    child.once('error', (err) => {
      spawnError = err;
      exitStatus = 'spawn-error';
      resolveExit('spawn-error');
    });
    child.once('exit', (code, signal) => {
      exitStatus = code ?? signal ?? 'unknown';
      resolveExit(exitStatus);
    });
  });

  const tail = (): string => {
    const text =
      output.type === 'file'
        ? readTail(output.path)
        : whyItExited([...(firstError === undefined ? [] : [firstError]), ...recent]);
    return text === '' ? '' : `\n${text}`;
  };
  try {
    await waitForServer({
      address,
      timeoutMs: options.startTimeoutMs ?? 60_000,
      failed: () => {
        if (spawnError !== undefined) return `cannot run ${binary}: ${spawnError.message}`;
        if (exitStatus !== undefined) return `the server process exited (${exitStatus})${tail()}`;
        return undefined;
      },
    });
  } catch (err) {
    if (exitStatus === undefined) child.kill('SIGKILL');
    throw err;
  }
  if (options.detached) child.unref();

  const stop = async (stopOptions: { graceMs?: number } = {}): Promise<void> => {
    if (exitStatus !== undefined) return;
    stopping = true;
    child.kill('SIGTERM');
    const graceMs = stopOptions.graceMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((res) => {
      timer = setTimeout(() => {
        log.warn({ pid: child.pid, graceMs }, 'temporal server ignored SIGTERM; killing it');
        child.kill('SIGKILL');
        res();
      }, graceMs);
    });
    await Promise.race([exited, killed]);
    await exited;
    clearTimeout(timer);
  };

  return {
    address,
    uiUrl: uiPort === false ? undefined : `http://${hostForAddress(ip)}:${uiPort}`,
    dbFile,
    pid: child.pid ?? -1,
    exited,
    stop,
  };
}

function readTail(path: string): string {
  try {
    return whyItExited(readFileSync(path, 'utf8').split('\n'));
  } catch {
    return '';
  }
}

const ERROR_LINE = /^panic:|level=ERROR|\berror\b/i;

/**
 * What a server's output says about its exit: the first panic or error line (a Go panic prints its
 * reason above a goroutine dump that fills the last lines), then the last 20 lines.
 */
export function whyItExited(lines: readonly string[]): string {
  const last = lines.slice(-20);
  const reason = lines.find((line) => ERROR_LINE.test(line));
  return [...(reason === undefined || last.includes(reason) ? [] : [reason, '...']), ...last]
    .join('\n')
    .trim();
}
