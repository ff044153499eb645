#!/usr/bin/env node
// Runs every *.test.ts file under the source folders with Node's test runner (through tsx).
// Arguments narrow the set: `npm test -- src/rubric` runs the tests whose path contains "src/rubric".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = ['src', 'workflows', 'activities', 'workers', 'test'];
const filters = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), path));
  }
  return out;
}

const files = roots
  .flatMap((root) => walk(root, []))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// A test file that hangs fails after this long instead of stalling the whole run (Node applies the
// limit to each file's process as well as to each test in it). Twenty minutes is about four times the
// slowest file: the production-layout test, a build and two SmolLM2 runs, about 5 minutes on two cores.
const timeoutMs = process.env.ANCHORAGE_TEST_TIMEOUT_MS ?? '1200000';
if (!/^[1-9][0-9]*$/.test(timeoutMs)) {
  console.error(
    `ANCHORAGE_TEST_TIMEOUT_MS must be a positive whole number of milliseconds, got "${timeoutMs}"`,
  );
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './scripts/property-seed.mjs',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit', env: { ANCHORAGE_LOG_LEVEL: 'fatal', ...process.env } },
);
process.exit(result.status ?? 1);
