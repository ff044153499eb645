import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactSecrets } from './secrets.ts';

/** pino's numeric levels by name. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;

/** pino writes `{"level":NN,` first; a line without it counts as an error so it is never hidden. */
export function lineLevel(line: string): number {
  const m = /^\{"level":(\d+)/.exec(line);
  return m === null ? LOG_LEVELS.error : Number(m[1]);
}

interface Route {
  fd: number;
  file: string;
  terminalLevel: number;
  beforeTerminal?: () => void;
}

/**
 * The destination of the root logger: every line to stderr, or, once `toFile` is called, every line
 * to a file and only lines at `terminalLevel` or above to stderr too. A command that draws progress
 * on the terminal (`anchorage train` with its in-process worker) keeps the worker's JSON lines in a
 * file that way. Writes are synchronous, so a crash loses no line that was logged.
 */
export class LogSink {
  private route: Route | undefined;

  constructor(private readonly stderrFd = 2) {}

  write(raw: string): void {
    // Configured secrets are cut out of every line, whatever field or message carried them.
    const line = redactSecrets(raw);
    const route = this.route;
    if (route === undefined) {
      writeSync(this.stderrFd, line);
      return;
    }
    writeSync(route.fd, line);
    if (lineLevel(line) >= route.terminalLevel) {
      route.beforeTerminal?.();
      writeSync(this.stderrFd, line);
    }
  }

  /**
   * Sends lines to `file` (appended; its folder is created) from now on; returns the file.
   * `beforeTerminal` runs before a line goes to the terminal (to erase a progress line there).
   */
  toFile(options: { file: string; terminalLevel: LogLevelName; beforeTerminal?: () => void }): string {
    mkdirSync(dirname(options.file), { recursive: true });
    const fd = openSync(options.file, 'a');
    this.restore();
    this.route = {
      fd,
      file: options.file,
      terminalLevel: LOG_LEVELS[options.terminalLevel],
      ...(options.beforeTerminal === undefined ? {} : { beforeTerminal: options.beforeTerminal }),
    };
    return options.file;
  }

  /** The file lines go to, if any. */
  get file(): string | undefined {
    return this.route?.file;
  }

  /** Back to stderr only; closes the file. */
  restore(): void {
    if (this.route === undefined) return;
    closeSync(this.route.fd);
    this.route = undefined;
  }
}
