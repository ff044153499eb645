#!/usr/bin/env node
// Refreshes the README's screenshot of `anchorage report`: writes the report of a run to a temporary
// file, opens it in headless Chromium (Debian's package, as the browser test does) and saves the top of
// the page as a PNG.
//
//   node scripts/report-screenshot.mjs <trainRunId> [--store <dir>] [--out docs/report.png] [--height 1500]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register();
const { openInChromium } = await import('../test/chromium.ts');

const root = resolve(import.meta.dirname, '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    store: { type: 'string' },
    out: { type: 'string', default: join(root, 'docs', 'report.png') },
    height: { type: 'string', default: '1500' },
  },
});
const trainRunId = positionals[0];
if (trainRunId === undefined) {
  console.error(
    'usage: node scripts/report-screenshot.mjs <trainRunId> [--store <dir>] [--out <png>] [--height <px>]',
  );
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'anchorage-report-shot-'));
try {
  const html = join(dir, 'report.html');
  const made = spawnSync(
    process.execPath,
    [
      join(root, 'bin/anchorage.mjs'),
      'report',
      trainRunId,
      '--out',
      html,
      ...(values.store ? ['--store', values.store] : []),
    ],
    { stdio: 'inherit' },
  );
  if (made.status !== 0) process.exit(made.status ?? 1);
  const { browser, page, errors } = await openInChromium({
    file: html,
    viewport: { width: 1280, height: Number(values.height) },
  });
  try {
    if (errors.length > 0) throw new Error(`the page logged errors: ${errors.join('; ')}`);
    const out = resolve(values.out);
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    console.log(out);
  } finally {
    await browser.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
