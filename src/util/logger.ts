import pino, { type Logger } from 'pino';

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

/** The process-wide root logger. Level from `ANCHORAGE_LOG_LEVEL` (default `info`), JSON to stderr. */
export function rootLogger(): Logger {
  root ??= pino(
    {
      level: process.env.ANCHORAGE_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    pino.destination({ fd: 2, sync: true }),
  );
  return root;
}

/** One child logger per component: `logger('judge')`. */
export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}
