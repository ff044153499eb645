import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { EXPOSITION_CONTENT_TYPE, serveMetrics } from './metrics-server.ts';

test('GET /metrics answers what render returns, over real HTTP; other paths are 404; port 0 takes a free one', async () => {
  let n = 0;
  const server = await serveMetrics({
    host: '127.0.0.1',
    port: 0,
    render: async () => `# TYPE x counter\nx ${++n}\n`,
  });
  try {
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);
    const first = await fetch(server.url);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-type'), EXPOSITION_CONTENT_TYPE);
    assert.equal(await first.text(), '# TYPE x counter\nx 1\n');
    assert.equal(await (await fetch(`${server.url}?name=x`)).text(), '# TYPE x counter\nx 2\n');
    const other = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(other.status, 404);
    await other.text();
  } finally {
    await server.close();
  }
});

test('a render that fails answers 500 and the server keeps serving', async () => {
  let fail = true;
  const server = await serveMetrics({
    host: '127.0.0.1',
    port: 0,
    render: async () => {
      if (fail) throw new Error('registry broke');
      return 'ok 1\n';
    },
  });
  try {
    const bad = await fetch(server.url);
    assert.equal(bad.status, 500);
    assert.match(await bad.text(), /registry broke/);
    fail = false;
    assert.equal(await (await fetch(server.url)).text(), 'ok 1\n');
  } finally {
    await server.close();
  }
});

test('a port in use is refused with the address named; close frees the port', async () => {
  const server = await serveMetrics({ host: '127.0.0.1', port: 0, render: async () => '' });
  await assert.rejects(
    serveMetrics({ host: '127.0.0.1', port: server.port, render: async () => '' }),
    new RegExp(`cannot serve metrics on 127.0.0.1:${server.port}`),
  );
  // Keep-alive connections do not hold the port after close.
  await (await fetch(server.url, { keepalive: true })).text();
  await server.close();
  await new Promise<void>((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(server.port, '127.0.0.1', () => probe.close(() => resolve()));
  });
});
