import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import { METRIC_NAMES } from '../src/telemetry/metric-names.ts';
import { parseExposition } from '../src/telemetry/testing/parse-exposition.ts';
import { freePort } from '../src/temporal/free-port.ts';
import { acquireMetricsEndpoint } from './metrics-endpoint.ts';

const log = pino({ level: 'silent' });

// The endpoint installed the Temporal runtime; with no worker or connection to outlive, it would
// keep the process alive (a worker process's runtime shuts down with its last worker).
after(() => Runtime.instance().shutdown());

test('one endpoint per process: holders share it, another port is refused, the last release stops it', async () => {
  const first = await acquireMetricsEndpoint({ host: '127.0.0.1', port: 0, log });
  assert.equal(
    first.temporal,
    true,
    'this process installed the Temporal runtime, with its metrics exporter',
  );
  const second = await acquireMetricsEndpoint({ host: '127.0.0.1', port: first.port, log });
  const third = await acquireMetricsEndpoint({ host: '127.0.0.1', port: 0, log });
  assert.deepEqual([second.url, third.url], [first.url, first.url]);
  assert.equal(second.telemetry, first.telemetry, 'one registry');
  await assert.rejects(
    acquireMetricsEndpoint({ host: '127.0.0.1', port: await freePort(), log }),
    /serves its metrics on 127\.0\.0\.1:\d+ already/,
  );

  first.telemetry.checkpoint({ step: 1, applied: true, kl: undefined, loss: undefined });
  const scrape = parseExposition(await (await fetch(first.url)).text());
  assert.equal(scrape.value(METRIC_NAMES.checkpointCommits), 1);
  assert.ok(scrape.samples.some((s) => s.name.startsWith('nodejs_')));

  await first.release();
  await first.release(); // a second release of one hold is a no-op
  await second.release();
  assert.equal((await fetch(first.url)).status, 200, 'still held by one');
  await third.release();
  await assert.rejects(fetch(first.url), 'the last release stops the server');

  // A later endpoint (on another port) keeps the process's counters.
  const again = await acquireMetricsEndpoint({ host: '127.0.0.1', port: 0, log });
  try {
    const text = await (await fetch(again.url)).text();
    assert.equal(parseExposition(text).value(METRIC_NAMES.checkpointCommits), 1);
  } finally {
    await again.release();
  }
});
