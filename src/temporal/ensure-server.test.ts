import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { probeServer } from './connection.ts';
import { startDevServer } from './dev-server.ts';
import { ensureServer } from './ensure-server.ts';
import { freePort, isPortFree } from './free-port.ts';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.ts';
import { listCustomSearchAttributes } from './search-attributes.ts';

describe('ensureServer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anchorage-ensure-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts a detached server under the data folder when none answers, and stops it', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const env = { ...process.env, TEMPORAL_ADDRESS: `localhost:${port}`, ANCHORAGE_DATA_DIR: dir };
    const handle = await ensureServer({ env, uiPort: false, notify: (l) => lines.push(l) });
    try {
      assert.equal(handle.started, true);
      assert.equal(handle.address, `localhost:${port}`);
      assert.match(
        lines.join('\n'),
        new RegExp(`no Temporal server answered at localhost:${port}; started one \\(pid ${handle.pid}`),
      );
      assert.ok(existsSync(join(dir, 'temporal.sqlite')));
      assert.ok(existsSync(join(dir, 'temporal-server.log')));
      // A second call finds it running and does not own it.
      const second = await ensureServer({ env, notify: (l) => lines.push(l) });
      assert.equal(second.started, false);
      await second.stop();
      assert.equal(
        await probeServer({ address: handle.address }),
        true,
        'stopping a server it did not start is a no-op',
      );
    } finally {
      await handle.stop();
    }
    assert.equal(await probeServer({ address: handle.address, timeoutMs: 500 }), false);
    assert.equal(readFileSync(join(dir, 'temporal-server.log'), 'utf8').includes('Temporal Server'), true);
  });

  it('starts the Web UI on port + 1000, or on another free port when that one is taken', async () => {
    // A port whose +1000 neighbour this test can hold (a free port above 64535 would have none).
    let port = await freePort();
    while (port + 1000 > 65_535 || !(await isPortFree(port + 1000))) port = await freePort();
    const holder = createServer();
    await new Promise<void>((ok) => holder.listen(port + 1000, '127.0.0.1', ok));
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: `localhost:${port}`,
      ANCHORAGE_DATA_DIR: join(dir, 'ui-taken'),
    };
    try {
      const handle = await ensureServer({ env, notify: () => {} });
      try {
        assert.equal(handle.started, true);
        assert.ok(handle.uiUrl !== undefined);
        assert.notEqual(new URL(handle.uiUrl).port, String(port + 1000));
      } finally {
        await handle.stop();
      }
    } finally {
      await new Promise((ok) => holder.close(ok));
    }
  });

  it('starts the server once more when it exits while starting, and fails on a second exit', async () => {
    const port = await freePort();
    const uiPort = await freePort();
    const holder = createServer();
    await new Promise<void>((ok) => holder.listen(uiPort, '127.0.0.1', ok));
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: `localhost:${port}`,
      ANCHORAGE_DATA_DIR: join(dir, 'retry'),
    };
    // The UI port is held: the server exits while starting; it is released when the retry is announced.
    const lines: string[] = [];
    const handle = await ensureServer({
      env,
      uiPort,
      notify: (line) => {
        lines.push(line);
        if (line.includes('starting it once more')) holder.close();
      },
    });
    try {
      assert.equal(handle.started, true);
      assert.match(lines[0]!, /exited while starting; starting it once more \(.*exited/);
      assert.equal(handle.uiUrl, `http://localhost:${uiPort}`);
    } finally {
      await handle.stop();
    }
    // Held through both tries: the second exit is the error.
    const again = createServer();
    await new Promise<void>((ok) => again.listen(uiPort, '127.0.0.1', ok));
    try {
      await assert.rejects(
        ensureServer({ env, uiPort, notify: () => {} }),
        /did not start: the server process exited/,
      );
    } finally {
      await new Promise((ok) => again.close(ok));
    }
  });

  it('adds missing search attributes to a server that was started without them', async () => {
    const port = await freePort();
    const server = await startDevServer({
      dbFile: join(dir, 'bare.sqlite'),
      port,
      uiPort: false,
      searchAttributes: [],
    });
    try {
      const lines: string[] = [];
      const handle = await ensureServer({ address: server.address, notify: (l) => lines.push(l) });
      assert.equal(handle.started, false);
      assert.match(
        lines.join('\n'),
        /registered search attributes TrainRunId, TrainStep, TrainStage, MeanReward, ModelName/,
      );
      const connection = await Connection.connect({ address: server.address });
      try {
        const attributes = await listCustomSearchAttributes({ connection, namespace: 'default' });
        for (const key of SEARCH_ATTRIBUTES) assert.equal(attributes.get(key.name), key.type, key.name);
      } finally {
        await connection.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('refuses to start a server for an address that is not loopback, and rejects malformed ones', async () => {
    // 0.0.0.0 is not a loopback name, yet connecting to it stays on this machine (nothing listens).
    const port = await freePort();
    await assert.rejects(
      ensureServer({ address: `0.0.0.0:${port}` }),
      new RegExp(`no Temporal server answers at 0\\.0\\.0\\.0:${port}; start one there`),
    );
    await assert.rejects(ensureServer({ address: 'no port here' }), /expected a Temporal address host:port/);
  });
});
