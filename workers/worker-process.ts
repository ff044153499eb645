import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One JSON log line of a worker process (pino). */
export type LogLine = Record<string, unknown>;

/**
 * A worker process started from an entry in workers/ (from the sources through tsx, or from a build),
 * its log lines
 * kept as they arrive; for the worker-process tests (test/process-fixture.ts) and the chaos benchmark
 * (workers/chaos/). Waits are on events (a log line, the exit), never on a polling loop; waits on a
 * workflow's history are in src/client/history-waits.ts.
 */
export interface WorkerProcess {
  entry: string;
  child: ChildProcess;
  lines: LogLine[];
  /** The exit code, or the signal that ended it. */
  exited: Promise<number | string>;
  /** Resolves with the first line (already logged or to come) that `match` accepts; rejects if the process exits first. */
  line(match: (line: LogLine) => boolean): Promise<LogLine>;
}

export function alive(w: WorkerProcess): boolean {
  return w.child.exitCode === null && w.child.signalCode === null;
}

/**
 * Spawns the worker entry `entry` (`rollout.ts`) with `env` added to this process's environment. With
 * `built` (a `npm run build` output folder), runs its compiled entry (`<built>/workers/rollout.js`) as
 * plain JavaScript from outside the repository, with no loader inherited, as a production image does.
 */
export function spawnWorker(
  entry: string,
  env: Record<string, string>,
  options: { built?: string } = {},
): WorkerProcess {
  const { NODE_OPTIONS: _loader, ...inherited } = process.env;
  const child =
    options.built === undefined
      ? spawn(process.execPath, ['--import', 'tsx', join('workers', entry)], {
          cwd: ROOT,
          env: { ...process.env, ANCHORAGE_LOG_LEVEL: 'info', ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(process.execPath, [join(options.built, 'workers', entry.replace(/\.ts$/, '.js'))], {
          cwd: tmpdir(),
          env: { ...inherited, ANCHORAGE_LOG_LEVEL: 'info', ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  createInterface({ input: child.stderr! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    for (const w of waiters) {
      if (w.match(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<number | string>((resolve) => {
    // 'close': the process has exited and its stderr is read to the end.
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const line = (match: (l: LogLine) => boolean) => {
    const seen = lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      waiters.add({ match, resolve });
      void exited.then((how) => {
        const found = lines.find(match);
        if (found !== undefined) resolve(found);
        else reject(new Error(`${entry} exited (${how}) first: ${lines.map((l) => l.msg).join(' | ')}`));
      });
    });
  };
  return { entry, child, lines, exited, line };
}

/** Resolves once the process logs "workers started" (its workers poll); rejects if it exits first. */
export async function started(worker: WorkerProcess): Promise<void> {
  await worker.line((l) => l.msg === 'workers started');
}

/** Stops a worker gracefully (SIGTERM) and waits for it to exit. */
export async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (alive(worker)) worker.child.kill('SIGTERM');
  await worker.exited;
}
