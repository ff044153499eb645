import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalFolderStore } from '../store/local-store.ts';
import { gatherReport } from './data/gather-report.ts';
import { writeSyntheticRun } from './testing/synthetic-run.ts';
import { defaultReportPath, writeReport } from './write-report.ts';

const root = mkdtempSync(join(tmpdir(), 'anchorage-report-write-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the default file is <data dir>/reports/<trainRunId>.html', () => {
  assert.equal(defaultReportPath({ dataDir: '/d', trainRunId: 'r-1' }), '/d/reports/r-1.html');
});

test('writes the page whole into a new folder, leaving no temporary file', async () => {
  const store = new LocalFolderStore({ root: join(root, 'store') });
  const data = await gatherReport({ store, trainRunId: await writeSyntheticRun(store) });
  const path = join(root, 'out', 'deep', 'report.html');
  await writeReport({ data, path });
  assert.match(readFileSync(path, 'utf8'), /^<!doctype html>[\s\S]*<\/html>\n$/);
  assert.deepEqual(readdirSync(join(root, 'out', 'deep')), ['report.html']);
});
