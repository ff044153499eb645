import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeaderProxy {
  endpoint: string;
  stop(): Promise<void>;
}

/** An answer the proxy gives itself instead of passing a request on. */
export interface ProxyAnswer {
  status: number;
  /** An S3 error document (XML). */
  body: string;
}

/**
 * An HTTP proxy in front of `target` (a test's S3 server) that can drop request headers, as an
 * S3-compatible server that ignores conditional writes would (strip `if-none-match`, `if-match`),
 * answer requests itself (`answer`: a server's own error for requests it mishandles), and can
 * watch the requests that pass.
 */
export async function startHeaderProxy(options: {
  target: string;
  strip?: string[];
  answer?: (req: IncomingMessage) => ProxyAnswer | undefined;
  onRequest?: (req: IncomingMessage) => void;
}): Promise<HeaderProxy> {
  const target = new URL(options.target);
  const server = createServer((req, res) => {
    options.onRequest?.(req);
    const own = options.answer?.(req);
    if (own !== undefined) {
      req.resume();
      req.once('end', () => {
        res.writeHead(own.status, { 'content-type': 'application/xml' });
        res.end(own.body);
      });
      return;
    }
    const headers = { ...req.headers };
    for (const name of options.strip ?? []) delete headers[name];
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
