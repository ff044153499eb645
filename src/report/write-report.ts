import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderReport } from './html/page.ts';
import type { ReportData } from './data/report-data.ts';

/** The default report file of a run: `<data dir>/reports/<trainRunId>.html`. */
export function defaultReportPath(options: { dataDir: string; trainRunId: string }): string {
  return join(options.dataDir, 'reports', `${options.trainRunId}.html`);
}

/** Renders the report and writes it to `path` (folders made; written whole, then renamed). */
export async function writeReport(options: { data: ReportData; path: string }): Promise<void> {
  await mkdir(dirname(options.path), { recursive: true });
  const temp = `${options.path}.${process.pid}.tmp`;
  await writeFile(temp, renderReport(options.data), 'utf8');
  await rename(temp, options.path);
}
