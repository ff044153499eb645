import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The repository root, and the IFEval data every CLI test of IFEval reads from `../shared`. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const SHARED_IFEVAL_DIR = resolve(REPO_ROOT, '../shared/data/ifeval');

/** Runs `anchorage <args>` as a new process in `cwd`; its exit code and output. */
export function runAnchorage(
  cwd: string,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/anchorage.mjs'), ...args], {
    encoding: 'utf8',
    cwd,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
