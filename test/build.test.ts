import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WORKFLOW_BUNDLE_FILE } from '../scripts/build.ts';

// `npm run build` into a temporary folder, then the built entry points run as plain JavaScript (no
// tsx loader in the child processes) far enough to show that every module they import loads.

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORKER_ENTRIES = ['orchestrator', 'rollout', 'judge', 'trainer', 'all-in-one'];
let out = '';

/** Runs `node <args>` from a folder outside the repository, with no loader options inherited. */
function runNode(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { NODE_OPTIONS: _dropped, ...inherited } = process.env;
  return spawnSync(process.execPath, args, {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { ...inherited, ANCHORAGE_LOG_LEVEL: 'fatal', ...env },
    timeout: 60_000,
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isSymbolicLink()) return [];
    return e.isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Every package the built module `entry` loads at startup: its static imports and re-exports,
 * followed through relative files (dynamic `import()` is left out: it loads only when run).
 */
function startupPackages(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm,
    )) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) {
        const name = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : (spec.split('/')[0] as string);
        if (!packages.has(name)) packages.set(name, file);
      }
    }
  }
  return packages;
}

before(() => {
  out = join(mkdtempSync(join(tmpdir(), 'anchorage-build-')), 'dist');
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, `build failed:\n${result.stdout}\n${result.stderr}`);
});

after(() => {
  if (out !== '') rmSync(join(out, '..'), { recursive: true, force: true });
});

test('the build holds JavaScript only, with every relative import rewritten to .js', () => {
  const files = filesUnder(out);
  assert.deepEqual(
    files.filter((f) => f.endsWith('.ts')),
    [],
  );
  const tsImports = files
    .filter((f) => f.endsWith('.js') && !f.endsWith(WORKFLOW_BUNDLE_FILE))
    .filter((f) => /(?:from|import\()\s*['"]\.{1,2}\/[^'"]*\.ts['"]/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(tsImports, []);
  assert.ok(statSync(join(out, WORKFLOW_BUNDLE_FILE)).size > 10_000, 'a prebuilt workflow bundle');
  assert.ok(
    existsSync(join(out, 'src/rubric/verifiers/ifeval/langdetect/profiles.json.gz')),
    'data files copied',
  );
});

test('no built entry loads a development dependency at startup (the image installs production ones only)', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const entries = [
    join(out, 'src/cli/bin.js'),
    ...WORKER_ENTRIES.map((e) => join(out, 'workers', `${e}.js`)),
  ];
  const offending = entries.flatMap((entry) =>
    [...startupPackages(entry)]
      .filter(([name]) => name in manifest.devDependencies)
      .map(([name, file]) => `${name} (from ${file.slice(out.length + 1)})`),
  );
  assert.deepEqual(offending, []);
});

test('the built CLI prints its help', () => {
  const result = runNode([join(out, 'src/cli/bin.js'), '--help']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Usage: anchorage/);
  assert.match(result.stdout, /\btrain\b/);
});

test('the built CLI scores a response against a bundled rubric (rubrics and lexicons found from the build)', () => {
  const result = runNode([
    join(out, 'src/cli/bin.js'),
    'score',
    '--rubric',
    'style/human-tone',
    '--prompt',
    'Write about the sea.',
    '--response',
    'The sea is grey today, and cold.',
    '--json',
  ]);
  assert.equal(result.status, 0, result.stderr);
  const scored = JSON.parse(result.stdout) as { rubric: string; verdicts: unknown[] };
  assert.equal(scored.rubric, 'style/human-tone');
  assert.ok(scored.verdicts.length > 0);
});

test('every built worker entry loads and refuses a bad setting before it connects to any server', () => {
  for (const entry of WORKER_ENTRIES) {
    const result = runNode([join(out, 'workers', `${entry}.js`)], {
      ANCHORAGE_ROLLOUT_CONCURRENCY: 'zero',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    assert.equal(result.status, 1, `${entry}: ${result.stderr}`);
    assert.match(
      result.stderr,
      /^anchorage worker: environment variable ANCHORAGE_ROLLOUT_CONCURRENCY/m,
      entry,
    );
  }
});

test('the built engine host starts its worker thread from compiled code', () => {
  const host = join(out, 'src/engine/host/session-host.js');
  const script = `const { SessionHost } = await import(${JSON.stringify(host)}); const h = await SessionHost.start(); await h.close(); console.log('host ok');`;
  const result = runNode(['--input-type=module', '-e', script]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /host ok/);
});
