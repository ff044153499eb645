import { spawn } from 'node:child_process';
import { collectOutput } from '../../util/testing/child-output.ts';
import type { ArtifactStore } from '../store.ts';

/** A store under test, with what another process needs to open the same store. */
export interface StoreHandle {
  store: ArtifactStore;
  /** Module code (imports allowed) that declares `const store`: the same store, opened anew. */
  openCode: string;
  /** Variables that process needs (an S3 store's URL and server). */
  env?: Record<string, string>;
}

/**
 * Runs `body` (an async function body with `store` and `args` in scope, returning a JSON value) in
 * a separate Node process that opens the store with `target.openCode`. `done` resolves with the
 * value, or rejects with the process's stderr when it fails.
 */
export function inChild(options: {
  target: StoreHandle;
  args?: unknown;
  body: string;
  env?: Record<string, string>;
}): { done: Promise<unknown>; pid: number } {
  const code = `
    ${options.target.openCode}
    const args = ${JSON.stringify(options.args ?? null)};
    const result = await (async () => { ${options.body} })();
    process.stdout.write(JSON.stringify(result ?? null));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.target.env, ...options.env },
  });
  const output = collectOutput(child);
  const done = new Promise<unknown>((res, rej) =>
    child.once('exit', (code, signal) =>
      code === 0
        ? res(JSON.parse(output.stdout))
        : rej(new Error(`child exited ${code ?? signal}: ${output.stderr}`)),
    ),
  );
  return { done, pid: child.pid ?? -1 };
}
