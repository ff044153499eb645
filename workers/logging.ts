import { IllegalStateError, type Logger as TemporalLogger } from '@temporalio/common';
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
/** Where the runtime installed here exports its Prometheus metrics, when it does. */
let metricsAddress: string | undefined;

/**
 * Bridges the Temporal runtime's logger to pino, once per process and before any worker or native
 * connection exists (the runtime is a process-wide singleton). Core's own (Rust) log lines are
 * forwarded too, at WARN and above. With `metricsBindAddress` (host:port) the runtime also exports
 * the SDK's metrics (`temporal_*`, counters with `_total`, durations in seconds) in Prometheus
 * format there; if that address cannot be bound, the runtime is installed without them. Returns
 * false when a runtime was already in place (e.g. a test environment created it first); the SDK's
 * messages then go wherever that runtime sends them, and its metrics nowhere.
 */
export function installTemporalLogging(options: { log?: Logger; metricsBindAddress?: string } = {}): boolean {
  if (installed) return true;
  const log = options.log ?? logger('temporal');
  const install = (bindAddress: string | undefined) =>
    Runtime.install({
      logger: pinoTemporalLogger(log),
      telemetryOptions: {
        logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
        ...(bindAddress === undefined
          ? {}
          : {
              metrics: {
                prometheus: {
                  bindAddress,
                  countersTotalSuffix: true,
                  unitSuffix: true,
                  useSecondsForDurations: true,
                },
              },
            }),
      },
    });
  try {
    install(options.metricsBindAddress);
    metricsAddress = options.metricsBindAddress;
  } catch (err) {
    // A runtime already in place (IllegalStateError) keeps its settings; a bind that failed is retried without metrics.
    if (options.metricsBindAddress === undefined || err instanceof IllegalStateError) return false;
    log.warn({ err, bindAddress: options.metricsBindAddress }, 'Temporal runtime metrics not exported');
    try {
      install(undefined);
    } catch {
      return false;
    }
  }
  installed = true;
  return true;
}

/** Where this process's Temporal runtime serves its Prometheus metrics (installed here with them), if anywhere. */
export function temporalMetricsAddress(): string | undefined {
  return metricsAddress;
}
