import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

interface LockEntry {
  dependencies?: Record<string, string>;
  /** Only the root entry has them. */
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Where Node's resolution would find `name` from the package at `path`: its own node_modules, then each ancestor's. */
function candidates(path: string, name: string): string[] {
  const out: string[] = [];
  let dir = path;
  for (;;) {
    out.push(dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`);
    if (dir === '') return out;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

/**
 * `npm ci` refuses a lock file that lacks an entry for any optional dependency of a locked package,
 * even one for another platform. npm drops such entries when the registry it resolves against lacks
 * that platform's package at that version (node-llama-cpp's Windows and macOS binaries, for example),
 * so a regenerated lock can lose them silently; this test names them. The fix: add each missing entry
 * with its `version`, `os`, `cpu` (and `libc`), `"optional": true` (and `"dev": true` under a dev
 * dependency), as the lock's other @node-llama-cpp entries show.
 */
test('package-lock.json has an entry for every dependency of every locked package, optional ones included', () => {
  const lock = JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as { packages: Record<string, LockEntry> };
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const names = [entry.dependencies, entry.devDependencies, entry.optionalDependencies].flatMap((deps) =>
      Object.keys(deps ?? {}),
    );
    for (const name of names) {
      if (!candidates(path, name).some((p) => p in lock.packages))
        missing.push(`${path || '(root)'} -> ${name}`);
    }
  }
  assert.deepEqual(missing, [], `npm ci would refuse the lock: missing ${missing.join(', ')}`);
});
