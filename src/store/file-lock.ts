import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransportError } from '../util/errors.ts';

/** Age after which a lock file whose owner cannot be read is taken as left by a crash. */
const UNREADABLE_STALE_MS = 5_000;

interface LockOwner {
  host: string;
  pid: number;
  at: number;
}

function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // cannot tell; only age can break it
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `body` holding an exclusive lock file (created with O_EXCL, so one holder across processes).
 * A lock left by a crashed process on this host, or older than `staleMs`, is broken. Used only for
 * compare-and-set ref writes, which are short.
 */
export async function withFileLock<T>(
  options: { path: string; timeoutMs?: number; staleMs?: number },
  body: () => Promise<T>,
): Promise<T> {
  const { path, timeoutMs = 30_000, staleMs = 60_000 } = options;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        const owner: LockOwner = { host: hostname(), pid: process.pid, at: Date.now() };
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = await readLock(path);
    if (seen === undefined) continue; // released in between
    const { owner, mtimeMs } = seen;
    // A lock without a readable owner is being written, or was left by a crash right after its
    // creation: only its age can tell.
    const stale =
      owner === undefined
        ? Date.now() - mtimeMs > UNREADABLE_STALE_MS
        : !ownerAlive(owner) || Date.now() - owner.at > staleMs;
    if (stale) {
      // Remove only the lock judged stale: a new holder's file has another mtime.
      const again = await readLock(path);
      if (again !== undefined && again.mtimeMs === mtimeMs) await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      const who = owner === undefined ? 'an unknown holder' : `pid ${owner.pid} on ${owner.host}`;
      throw new TransportError(`lock ${path} is held by ${who}; gave up after ${timeoutMs} ms`);
    }
    await sleep(Math.min(50, 2 + attempt * 2));
  }
  try {
    return await body();
  } finally {
    await rm(path, { force: true });
  }
}

async function readLock(
  path: string,
): Promise<{ owner: LockOwner | undefined; mtimeMs: number } | undefined> {
  let mtimeMs: number;
  let text: string;
  try {
    mtimeMs = (await stat(path)).mtimeMs;
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.at === 'number' && typeof parsed.host === 'string') {
      return { owner: parsed as LockOwner, mtimeMs };
    }
  } catch {
    // not written yet
  }
  return { owner: undefined, mtimeMs };
}
