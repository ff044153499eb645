import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { LocalFolderStore } from '../store/local-store.ts';
import type { MetricsRecord } from './metrics.ts';
import { readMetrics } from './read-metrics.ts';
import { runRefs } from './run-refs.ts';

const root = mkdtempSync(join(tmpdir(), 'anchorage-read-metrics-'));
after(() => rmSync(root, { recursive: true, force: true }));

const record = (step: number, purpose: MetricsRecord['purpose']): MetricsRecord => ({
  format: 'anchorage.metrics/1',
  trainRunId: 'r1',
  step,
  purpose,
  stage: 'main',
  at: '2026-01-01T00:00:00.000Z',
  metrics: { [`${purpose === 'train' ? '' : `${purpose}/`}reward/mean`]: step / 10 },
});

const commit = async (store: LocalFolderStore, trainRunId: string, r: MetricsRecord) => {
  const ref = runRefs.metrics({ trainRunId, step: r.step, purpose: r.purpose });
  await store.setRef(ref, (await store.putJson(r)).address, { mode: 'create-only' });
};

it('builds the lines from the per-step records: step order, training before the evaluation at its step', async () => {
  const store = new LocalFolderStore({ root });
  assert.deepEqual(await readMetrics({ store, trainRunId: 'r1' }), []);
  const expected = [
    record(0, 'eval'),
    record(1, 'train'),
    record(2, 'train'),
    record(2, 'eval'),
    record(3, 'train'),
    record(3, 'select'),
    record(10, 'train'),
    record(10, 'eval'),
  ];
  // Committed out of order (and step 10 sorts after 2 although its name sorts before): the order is the step's.
  for (const r of [...expected].reverse()) await commit(store, 'r1', r);
  const read = await readMetrics({ store, trainRunId: 'r1' });
  assert.deepEqual(
    read.map((r) => `${r.purpose}-${r.step}`),
    expected.map((r) => `${r.purpose}-${r.step}`),
  );
  assert.deepEqual(read, expected);
  // Another run's records stay out.
  await commit(store, 'r11', { ...record(1, 'train'), trainRunId: 'r11' });
  assert.equal((await readMetrics({ store, trainRunId: 'r1' })).length, expected.length);
});

it('refuses a record that is not a metrics record, naming the field', async () => {
  const store = new LocalFolderStore({ root: join(root, 'bad') });
  const ref = runRefs.metrics({ trainRunId: 'r2', step: 1, purpose: 'train' });
  await store.setRef(ref, (await store.putJson({ format: 'anchorage.metrics/1' })).address, {
    mode: 'create-only',
  });
  await assert.rejects(readMetrics({ store, trainRunId: 'r2' }), /trainRunId/);
});
