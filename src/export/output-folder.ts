import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ValidationError } from '../util/errors.ts';

/**
 * Checks that `out` can receive an export: it does not exist, or it is an empty folder. Otherwise
 * the error names the path and what is there, and nothing is written.
 */
export async function checkOutputFolder(out: string): Promise<void> {
  const st = await stat(out).catch(() => undefined);
  if (st === undefined) return;
  if (!st.isDirectory()) {
    throw new ValidationError('the output folder is an existing file; name a new or empty folder', {
      location: { file: out },
    });
  }
  const held = await readdir(out);
  if (held.length > 0) {
    const shown = held.slice(0, 5).join(', ');
    const more = held.length > 5 ? ` and ${held.length - 5} more` : '';
    throw new ValidationError(
      `the output folder exists and is not empty (it holds ${shown}${more}); name a new or empty folder`,
      { location: { file: out } },
    );
  }
}

/**
 * Runs `write` on a fresh temporary sibling of `out`, then renames it to `out`, so `out` appears
 * complete or not at all; on failure the sibling is removed and the error passes on.
 */
export async function writeFolderAtomically<T>(options: {
  out: string;
  write: (dir: string) => Promise<T>;
}): Promise<T> {
  const { out } = options;
  await mkdir(dirname(out), { recursive: true });
  const temp = `${out}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp);
  try {
    const result = await options.write(temp);
    await checkOutputFolder(out); // it may have been filled while we wrote
    await rmdir(out).catch(() => undefined);
    await rename(temp, out);
    return result;
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}
