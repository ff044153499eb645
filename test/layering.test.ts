import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The layering rules (ARCHITECTURE.md), checked over the import statements of every source file:
 *
 * - workflow code reaches at run time only workflow-safe modules: workflows/ and src/contracts/, and
 *   of packages only @temporalio/workflow and @temporalio/common (other modules: `import type`);
 * - src/ never imports src/cli, nor the adapters (workflows/, activities/, workers/); the CLI
 *   imports workers/ only (to start workers in its own process), never workflows/ or activities/;
 * - src/ talks to Temporal at run time only in src/temporal, src/client, src/cli, and
 *   src/contracts (message definitions and search attribute keys);
 * - no import cycle between folders: src/<area>, workflows, activities, workers.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ADAPTERS = ['workflows', 'activities', 'workers'];

interface Import {
  /** Importing file, relative to the root. */
  file: string;
  line: number;
  /** The specifier as written. */
  source: string;
  /** The imported file relative to the root, for a relative specifier; else undefined. */
  target: string | undefined;
  /** `import type` / `export type`: erased at run time. */
  typeOnly: boolean;
}

/** Every .ts file under `dir`, relative to the root. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const isTest = (file: string) => file.endsWith('.test.ts');

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: Import[] = [];
  const add = (index: number, source: string, typeOnly: boolean) => {
    const target = source.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), source)) : undefined;
    found.push({ file, line: text.slice(0, index).split('\n').length, source, target, typeOnly });
  };
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;'"]*?from\s+'([^']+)'/gms)) {
    add(m.index, m[2]!, m[1] !== undefined);
  }
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm)) add(m.index, m[1]!, false);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) add(m.index, m[1]!, false);
  return found;
}

const where = (i: Import) => `${i.file}:${i.line}: ${i.source}`;
const under = (path: string | undefined, dir: string) => path?.startsWith(`${dir}/`) === true;

const FILES = ['src', ...ADAPTERS].flatMap(sources);
const IMPORTS = new Map(FILES.map((f) => [f, importsOf(f)]));

test('workflow code reaches at run time only workflows/, src/contracts/ and the workflow packages', () => {
  const safePackages = ['@temporalio/workflow', '@temporalio/common'];
  const offending: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, via: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of IMPORTS.get(file) ?? []) {
      if (i.typeOnly) continue;
      if (i.target === undefined) {
        if (!safePackages.includes(i.source)) offending.push(`${where(i)} (${via})`);
      } else if (!under(i.target, 'workflows') && !under(i.target, 'src/contracts')) {
        offending.push(`${where(i)} (${via})`);
      } else {
        visit(i.target, via);
      }
    }
  };
  const workflows = FILES.filter((f) => under(f, 'workflows') && !isTest(f));
  assert.ok(workflows.includes('workflows/training-run.ts'));
  for (const f of workflows) visit(f, `reached from ${f}`);
  // Contracts are workflow-safe whether or not a workflow uses them yet.
  for (const f of FILES.filter((f) => under(f, 'src/contracts') && !isTest(f))) visit(f, 'a contract');
  assert.deepEqual(offending, []);
});

test('src/ imports neither src/cli nor the adapters; the CLI imports workers/ only', () => {
  const offending = FILES.filter((f) => under(f, 'src')).flatMap((f) =>
    (IMPORTS.get(f) ?? [])
      .filter((i) => {
        if (under(f, 'src/cli')) return under(i.target, 'workflows') || under(i.target, 'activities');
        return under(i.target, 'src/cli') || ADAPTERS.some((dir) => under(i.target, dir));
      })
      .map(where),
  );
  assert.deepEqual(offending, []);
});

/**
 * Rubric scoring, the engine, the store and the configuration run without a Temporal package: only
 * src/temporal (server, connection, search-attribute registration), src/client (starting and
 * querying runs), src/cli and src/contracts (signal and query definitions, search attribute keys)
 * import one at run time.
 */
test('src/ imports Temporal at run time only in src/temporal, src/client, src/cli and src/contracts', () => {
  const allowed = ['src/temporal', 'src/client', 'src/cli', 'src/contracts'];
  const offending = FILES.filter((f) => under(f, 'src') && !allowed.some((dir) => under(f, dir))).flatMap(
    (f) =>
      (IMPORTS.get(f) ?? []).filter((i) => !i.typeOnly && i.source.startsWith('@temporalio/')).map(where),
  );
  assert.deepEqual(offending, []);
});

/** The folder a file counts in for cycles: its area under src/, else its top-level folder. */
function folderOf(path: string): string {
  const [top, area] = path.split('/');
  return top === 'src' ? `src/${area}` : (top as string);
}

test('no import cycle between folders (src/<area>, workflows, activities, workers)', () => {
  const edges = new Map<string, Map<string, string>>();
  for (const f of FILES.filter((f) => !isTest(f))) {
    for (const i of IMPORTS.get(f) ?? []) {
      if (i.target === undefined) continue;
      const [a, b] = [folderOf(f), folderOf(i.target)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Map());
      if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, where(i));
    }
  }
  // Folders that reach each other (strongly connected components, Tarjan), each with its edges.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component = stack.splice(stack.indexOf(v));
    if (component.length < 2) return;
    const inside = component.flatMap((a) =>
      [...(edges.get(a) ?? [])].filter(([b]) => component.includes(b)).map(([b, e]) => `${a} -> ${b} (${e})`),
    );
    cycles.push(`${component.sort().join(', ')}: ${inside.sort().join('; ')}`);
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) connect(v);
  assert.deepEqual(cycles, []);
});
