import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransportError } from '../util/errors.ts';

/** Prometheus text exposition format 0.0.4. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** An HTTP server answering `GET /metrics` with the text `render` returns. */
export interface MetricsServer {
  /** The port it listens on (the one the OS picked, when asked for port 0). */
  port: number;
  /** Where to scrape it, e.g. `http://0.0.0.0:9464/metrics`. */
  url: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/**
 * Serves `render()` at `/metrics` on `host:port` (port 0: any free port); anything else is a 404.
 * A render that fails answers 500 with its message, and the server keeps serving.
 */
export async function serveMetrics(options: {
  host: string;
  port: number;
  render: () => Promise<string>;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at GET /metrics\n');
      return;
    }
    options.render().then(
      (text) => res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new TransportError(`cannot serve metrics on ${options.host}:${options.port}: ${err.message}`, {
          cause: err,
          retryable: false,
        }),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
