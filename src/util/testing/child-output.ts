import type { Readable } from 'node:stream';

/** A child process's stdout and stderr, collected as text while it runs (read them once it exits). */
export function collectOutput(child: { stdout: Readable; stderr: Readable }): {
  readonly stdout: string;
  readonly stderr: string;
} {
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => {
    out.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out.stderr += c.toString();
  });
  return out;
}
