import type { Logger } from 'pino';
import { freePort } from '../src/temporal/free-port.ts';
import { type MetricsServer, serveMetrics } from '../src/telemetry/metrics-server.ts';
import {
  createPrometheusTelemetry,
  type PrometheusTelemetry,
} from '../src/telemetry/prometheus-telemetry.ts';
import type { TrainingTelemetry } from '../src/telemetry/training-telemetry.ts';
import { ValidationError } from '../src/util/errors.ts';
import { installTemporalLogging, temporalMetricsAddress } from './logging.ts';

/** This process's metrics endpoint, as one holder of it sees it. */
export interface MetricsEndpoint {
  /** Where to scrape it. */
  url: string;
  port: number;
  /** Records into the process's registry. */
  telemetry: TrainingTelemetry;
  /** Whether the Temporal runtime's own metrics are served too. */
  temporal: boolean;
  /** Gives this hold up; the last one to do so stops the server. */
  release(): Promise<void>;
}

interface Shared {
  host: string;
  port: number;
  holders: number;
  server: Promise<MetricsServer>;
}

let shared: Shared | undefined;
let metrics: PrometheusTelemetry | undefined;

/**
 * The process's one Prometheus endpoint: Anchorage's metrics (src/telemetry/metric-names.ts), the
 * process's, and the Temporal runtime's, all at `http://host:port/metrics`. Every group of workers
 * in a process (the all-in-one worker's, the tests' several) holds the same endpoint: the first
 * call starts it, later ones share it (with the same port, or port 0 for "whichever"), a different
 * port is refused, and the server stops when the last holder releases it. Counters live as long as
 * the process, across endpoints.
 *
 * The Temporal runtime exports its metrics on a port of its own: on first use this installs the
 * runtime (with the pino logger bridge) exporting them on a free loopback port, and each scrape
 * appends them to ours. A runtime installed earlier without metrics (a test environment's) keeps
 * them to itself; then only ours are served, and the log says so.
 */
export async function acquireMetricsEndpoint(options: {
  host: string;
  port: number;
  log: Logger;
}): Promise<MetricsEndpoint> {
  const { host, port, log } = options;
  if (shared !== undefined && (shared.host !== host || (port !== 0 && port !== shared.port))) {
    throw new ValidationError(
      `this process serves its metrics on ${shared.host}:${shared.port} already, not ${host}:${port}: one endpoint per process`,
    );
  }
  if (shared === undefined) {
    const server = startServer({ host, port, log });
    shared = { host, port, holders: 0, server };
    server.then(
      (s) => {
        if (shared?.server === server) shared.port = s.port;
      },
      () => {
        if (shared?.server === server) shared = undefined;
      },
    );
  }
  const hold = shared;
  hold.holders++;
  let server: MetricsServer;
  try {
    server = await hold.server;
  } catch (err) {
    hold.holders--;
    throw err;
  }
  let released = false;
  return {
    url: server.url,
    port: server.port,
    telemetry: metrics!.telemetry,
    temporal: temporalMetricsAddress() !== undefined,
    async release() {
      if (released) return;
      released = true;
      if (--hold.holders > 0) return;
      if (shared === hold) shared = undefined;
      await server.close();
    },
  };
}

async function startServer(options: { host: string; port: number; log: Logger }): Promise<MetricsServer> {
  installTemporalLogging({ metricsBindAddress: `127.0.0.1:${await freePort()}` });
  metrics ??= createPrometheusTelemetry();
  const { registry } = metrics;
  const server = await serveMetrics({
    host: options.host,
    port: options.port,
    render: () => render(registry),
  });
  const temporal = temporalMetricsAddress() !== undefined;
  options.log.info({ url: server.url, temporal }, 'metrics served');
  if (!temporal) {
    options.log.info(
      'the Temporal runtime was set up before metrics were asked for: its metrics are not served',
    );
  }
  return server;
}

/** Our registry's text, then the Temporal runtime's (a comment instead when it does not answer). */
async function render(registry: PrometheusTelemetry['registry']): Promise<string> {
  const ours = await registry.metrics();
  const address = temporalMetricsAddress();
  if (address === undefined) return ours;
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = (await res.text()).replace(/^# EOF\s*$/m, '');
    return `${ours}${ours.endsWith('\n') ? '' : '\n'}${text}`;
  } catch (err) {
    // Between runtime restarts (it shuts down when its last worker does) nothing answers there.
    return `${ours}# Temporal runtime metrics unavailable: ${(err as Error).message}\n`;
  }
}
