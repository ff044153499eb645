import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { collectOutput } from '../../util/testing/child-output.ts';

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

/**
 * `anchorage <args>` as a child process in the repository root, without blocking this process (its
 * in-process workers keep answering); `env` is added to this process's environment.
 */
export function spawnAnchorage(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/anchorage.mjs'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ANCHORAGE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collectOutput(child);
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout: output.stdout, stderr: output.stderr }));
  });
}
