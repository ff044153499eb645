import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Every .ts file under `dir` (tests included: they exercise the library the same way). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Runtime (non-type) imports and re-exports of modules starting with `prefix`, with line numbers. */
function runtimeImports(file: string, prefix: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) {
    if (m[1] === undefined && (m[2] as string).startsWith(prefix)) {
      const line = text.slice(0, m.index).split('\n').length;
      found.push(`${relative(ROOT, file)}:${line}: ${m[2]}`);
    }
  }
  return found;
}

/**
 * The library under src/ stays free of Temporal except for types: only src/temporal (server,
 * connection and search-attribute helpers) and src/cli (the commands that start runs) talk to it.
 * Rubric scoring, the engine, the store and the configuration run without a Temporal package.
 */
test('src/ imports Temporal at runtime only in src/temporal and src/cli', () => {
  const allowed = [join(ROOT, 'src', 'temporal'), join(ROOT, 'src', 'cli')];
  const offending = sources(join(ROOT, 'src'))
    .filter((f) => !allowed.some((dir) => f.startsWith(dir)))
    .flatMap((f) => runtimeImports(f, '@temporalio/'));
  assert.deepEqual(offending, []);
});

/** The library never reaches into the Temporal adapters (workflows, activities, workers). */
test('src/ outside src/cli imports nothing from workflows/, activities/ or workers/', () => {
  const adapters = /from '(\.\.\/)+(workflows|activities|workers)\//;
  const offending = sources(join(ROOT, 'src'))
    .filter((f) => !f.startsWith(join(ROOT, 'src', 'cli')))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (adapters.test(line) ? [`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
  assert.deepEqual(offending, []);
});
