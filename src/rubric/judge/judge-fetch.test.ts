import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { judgeFetch, NO_CONNECTION_TIMEOUTS } from './judge-fetch.ts';

/** An HTTP server on a free port, answering with `handle`. */
async function server(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const srv = createServer(handle);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1/chat/completions`;
  return {
    url,
    close: () => {
      srv.closeAllConnections();
      return new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

test('the connection sets no headers or body timeout: the judge config timeoutMs is the only limit', () => {
  // Node's own fetch would give up on headers after 300 s (undici's default headersTimeout).
  assert.deepEqual(NO_CONNECTION_TIMEOUTS, { headersTimeout: 0, bodyTimeout: 0 });
});

test('a reply whose headers and body come late and in pieces is read whole', async () => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let arrived: () => void = () => undefined;
  const received = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const s = await server((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', async () => {
      arrived();
      await held;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"echo":');
      res.end(`${body}}`);
    });
  });
  try {
    const reply = judgeFetch(s.url, { method: 'POST', body: '{"n":1}' });
    await received;
    release();
    const res = await reply;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { echo: { n: 1 } });
  } finally {
    await s.close();
  }
});

test("the request's abort signal still ends a request the server never answers", async () => {
  let arrived: () => void = () => undefined;
  const received = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const s = await server(() => arrived());
  try {
    const controller = new AbortController();
    const reply = judgeFetch(s.url, { method: 'POST', body: '{}', signal: controller.signal });
    await received;
    controller.abort();
    await assert.rejects(reply, (err: unknown) => (err as Error).name === 'AbortError');
  } finally {
    await s.close();
  }
});
