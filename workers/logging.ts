import type { Logger as TemporalLogger } from '@temporalio/common';
import { type LogLevel, type LogMetadata, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { logger } from '../src/util/logger.ts';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Temporal's logger interface over a pino logger: the SDK's messages (worker state, workflow and
 * activity context loggers) land in the same JSON lines as the project's, data object first.
 */
export function pinoTemporalLogger(log: Logger): TemporalLogger {
  const write = (given: LogLevel, message: string, meta?: LogMetadata) => {
    // Activity-only workers (one per task queue) are intended; the SDK's warning about them is noise.
    const level = given === 'WARN' && message.startsWith('No workflows registered') ? 'DEBUG' : given;
    // Symbols and the SDK's own `sdkComponent` are kept as plain fields; errors go under `err`.
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(meta ?? {})) fields[k === 'error' ? 'err' : k] = v;
    log[LEVELS[level]](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

let installed = false;

/**
 * Bridges the Temporal runtime's logger to pino, once per process and before any worker or native
 * connection exists (the runtime is a process-wide singleton). Core's own (Rust) log lines are
 * forwarded too, at WARN and above. Returns false when a runtime was already in place (e.g. a test
 * environment created it first); the SDK's messages then go wherever that runtime sends them.
 */
export function installTemporalLogging(options: { log?: Logger } = {}): boolean {
  if (installed) return true;
  try {
    Runtime.install({
      logger: pinoTemporalLogger(options.log ?? logger('temporal')),
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    });
    installed = true;
    return true;
  } catch {
    return false;
  }
}
