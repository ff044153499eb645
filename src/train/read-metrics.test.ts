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

const record = (step: number, purpose: 'train' | 'eval'): MetricsRecord => ({
  format: 'anchorage.metrics/1',
  trainRunId: 'r1',
  step,
  purpose,
  stage: 'main',
  at: '2026-01-01T00:00:00.000Z',
  metrics: { [`${purpose === 'eval' ? 'eval/' : ''}reward/mean`]: step / 10 },
});

it('reads the metrics file in its order, and nothing for a run without one', async () => {
  const store = new LocalFolderStore({ root });
  assert.deepEqual(await readMetrics({ store, trainRunId: 'r1' }), []);
  const records = [record(0, 'eval'), record(1, 'train'), record(2, 'train'), record(2, 'eval')];
  const text = `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
  const { address } = await store.putBytes(Buffer.from(text, 'utf8'));
  await store.setRef(runRefs.metricsFile('r1'), address, { mode: 'overwrite' });
  assert.deepEqual(await readMetrics({ store, trainRunId: 'r1' }), records);
});

it('refuses a line that is not a metrics record, naming the field', async () => {
  const store = new LocalFolderStore({ root: join(root, 'bad') });
  const { address } = await store.putBytes(Buffer.from('{"format":"anchorage.metrics/1"}\n', 'utf8'));
  await store.setRef(runRefs.metricsFile('r2'), address, { mode: 'overwrite' });
  await assert.rejects(readMetrics({ store, trainRunId: 'r2' }), /trainRunId/);
});
