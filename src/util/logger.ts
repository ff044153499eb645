import pino, { type Logger } from 'pino';
import { LogSink } from './log-sink.ts';

/**
 * Paths redacted from every log line. Secrets come from the environment only; these paths catch
 * them if a config object or request is ever logged whole.
 */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.Authorization',
  '*.headers.Authorization',
];

let root: Logger | undefined;

/** Where the root logger's lines go: stderr unless a command routes them to a file (`logSink.toFile`). */
export const logSink = new LogSink();

/**
 * The process-wide root logger. Level from `ANCHORAGE_LOG_LEVEL` (default `info`), JSON lines to
 * `logSink` (stderr by default).
 */
export function rootLogger(): Logger {
  root ??= pino(
    {
      level: process.env.ANCHORAGE_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    logSink,
  );
  return root;
}

/** One child logger per component: `logger('judge')`. */
export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}
