import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection, WorkflowClient } from '@temporalio/client';
import { findTemporalBinary } from './binary.ts';
import { probeServer } from './connection.ts';
import { DEV_SERVER_DYNAMIC_CONFIG, startDevServer } from './dev-server.ts';
import { freePort } from './free-port.ts';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.ts';
import { listCustomSearchAttributes } from './search-attributes.ts';

describe('temporal dev server (real server, SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'anchorage-devserver-'));
  const dbFile = join(dir, 'nested', 'temporal.sqlite');
  let binary: string;
  before(() => {
    binary = findTemporalBinary();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('registers the search attributes, keeps workflows across a restart on the same file, and stops', async () => {
    const port = await freePort();
    const server = await startDevServer({ dbFile, port, uiPort: false, binary });
    let workflowId: string;
    try {
      assert.equal(server.address, `localhost:${port}`);
      assert.ok(existsSync(dbFile), 'the SQLite file and its folder are created');
      const connection = await Connection.connect({ address: server.address });
      try {
        const attributes = await listCustomSearchAttributes({ connection, namespace: 'default' });
        for (const key of SEARCH_ATTRIBUTES) assert.equal(attributes.get(key.name), key.type, key.name);
        // No worker polls this queue: the workflow stays running, which is all the restart needs.
        const client = new WorkflowClient({ connection });
        workflowId = `restart-check-${port}`;
        await client.start('noWorkerWorkflow', { taskQueue: 'nobody-polls-this', workflowId, args: [] });
        assert.equal((await client.getHandle(workflowId).describe()).status.name, 'RUNNING');
      } finally {
        await connection.close();
      }
      // A second server cannot start on an address that answers.
      await assert.rejects(
        startDevServer({ dbFile: join(dir, 'other.sqlite'), port, uiPort: false, binary }),
        /already answers/,
      );
    } finally {
      await server.stop();
    }
    assert.equal(await probeServer({ address: server.address, timeoutMs: 500 }), false, 'stopped');
    assert.equal(await server.exited, 0, 'the server exits cleanly on SIGTERM');

    const again = await startDevServer({ dbFile, port, uiPort: false, binary });
    try {
      const connection = await Connection.connect({ address: again.address });
      try {
        const client = new WorkflowClient({ connection });
        const described = await client.getHandle(workflowId).describe();
        assert.equal(described.type, 'noWorkerWorkflow');
        assert.equal(described.status.name, 'RUNNING');
        await client.getHandle(workflowId).terminate('test done');
      } finally {
        await connection.close();
      }
    } finally {
      await again.stop();
    }
  });

  it('writes ahead to a log, and a SIGKILLed server keeps every workflow it acknowledged', async () => {
    const file = join(dir, 'killed', 'temporal.sqlite');
    const port = await freePort();
    const server = await startDevServer({ dbFile: file, port, uiPort: false, binary });
    const ids = Array.from({ length: 20 }, (_, i) => `kill-check-${port}-${i}`);
    try {
      assert.ok(existsSync(`${file}-wal`), 'journal_mode=wal: the write-ahead log sits beside the file');
      // The server runs with the project's dynamic configuration (no API reads it back: its command line).
      const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
      for (const value of DEV_SERVER_DYNAMIC_CONFIG)
        assert.equal(argv[argv.indexOf(value) - 1], '--dynamic-config-value', value);
      const connection = await Connection.connect({ address: server.address });
      try {
        const client = new WorkflowClient({ connection });
        for (const workflowId of ids)
          await client.start('noWorkerWorkflow', { taskQueue: 'nobody-polls-this', workflowId, args: [] });
      } finally {
        await connection.close();
      }
      process.kill(server.pid, 'SIGKILL');
      assert.equal(await server.exited, 'SIGKILL');
    } finally {
      await server.stop();
    }
    const again = await startDevServer({ dbFile: file, port, uiPort: false, binary });
    try {
      const connection = await Connection.connect({ address: again.address });
      try {
        const client = new WorkflowClient({ connection });
        for (const workflowId of ids) {
          assert.equal((await client.getHandle(workflowId).describe()).status.name, 'RUNNING', workflowId);
          await client.getHandle(workflowId).terminate('test done');
        }
      } finally {
        await connection.close();
      }
    } finally {
      await again.stop();
    }
  });

  it('fails with the server output when the server cannot start', async () => {
    const port = await freePort();
    // A folder in place of the database file: SQLite cannot open it.
    await assert.rejects(
      startDevServer({ dbFile: dir, port, uiPort: false, binary, startTimeoutMs: 30_000 }),
      /did not start: the server process exited \(1\)[\s\S]*unable to open database file/,
    );
  });
});
