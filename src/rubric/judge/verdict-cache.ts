import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ResolvedCriterion } from '../resolve.ts';
import { Verdict } from '../verdict.ts';

/**
 * Verdicts on disk, one small JSON file per verdict, keyed by a sha256 of everything that decides the
 * verdict: prompt, response, the criterion's content (id, description, tiers, guidance), the judge
 * model, the prompt version, the grading mode and the sample index. A retried activity or a resumed run finds what an
 * earlier attempt paid for. Files are written to a temporary name, flushed (fsync) and renamed into
 * place, so a reader never sees half a file, concurrent writers of the same key both leave a whole
 * one, and a verdict found after a crash is whole; a damaged file anyway counts as a miss.
 */

export function verdictCacheKey(options: {
  prompt: string;
  response: string;
  criterion: ResolvedCriterion;
  model: string;
  promptVersion: string;
  mode: string;
  /**
   * Which of a criterion's samples (`samples` in the judge config), from 0. Sample 0 has the key a
   * judge asked once uses, so raising `samples` keeps the verdicts already paid for as sample 0.
   */
  sample?: number;
}): string {
  const { prompt, response, criterion, model, promptVersion, mode } = options;
  const sample = options.sample ?? 0;
  if (!Number.isInteger(sample) || sample < 0) {
    throw new RangeError(`verdictCacheKey: sample is a whole number >= 0, got ${sample}`);
  }
  const guidance = criterion.evaluator.type === 'judge' ? (criterion.evaluator.guidance ?? null) : null;
  // An array fixes the order of the parts, so the key never depends on object key order.
  const material = [
    'anchorage-verdict',
    promptVersion,
    model,
    mode,
    prompt,
    response,
    criterion.id,
    criterion.description,
    criterion.tiers.map((t) => [t.score, t.label, t.description]),
    guidance,
    // Only later samples add their index, so sample 0 keeps the single-sample key.
    ...(sample === 0 ? [] : [`sample ${sample}`]),
  ];
  return createHash('sha256').update(JSON.stringify(material)).digest('hex');
}

const CacheEntry = z.object({
  key: z.string(),
  promptVersion: z.string(),
  model: z.string(),
  createdAt: z.string(),
  verdict: Verdict,
});

export class VerdictCache {
  readonly dir: string;
  readonly #log: Logger;

  constructor(options: { dir: string; log: Logger }) {
    this.dir = options.dir;
    this.#log = options.log;
  }

  /** Where the verdict for `key` lives: two-level fan-out keeps folders small. */
  pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The cached verdict, or undefined. A damaged file counts as a miss (and is overwritten later). */
  async get(key: string): Promise<Verdict | undefined> {
    const path = this.pathOf(key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.#log.warn({ err: error, path }, 'cannot read cached verdict; grading again');
      return undefined;
    }
    try {
      const entry = CacheEntry.parse(JSON.parse(text));
      if (entry.key === key) return entry.verdict;
      this.#log.warn({ path }, 'cached verdict is filed under the wrong key; grading again');
    } catch (error) {
      this.#log.warn({ err: error, path }, 'cached verdict is damaged; grading again');
    }
    return undefined;
  }

  /**
   * Stores a verdict atomically. A failed write is logged, not thrown: the verdict in hand is still
   * right, only a later retry would pay for it again.
   */
  async put(options: { key: string; verdict: Verdict; model: string; promptVersion: string }): Promise<void> {
    const { key, verdict, model, promptVersion } = options;
    const path = this.pathOf(key);
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const entry = { key, promptVersion, model, createdAt: new Date().toISOString(), verdict };
    try {
      await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
      const handle = await open(tmp, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(entry, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (error) {
      this.#log.warn({ err: error, path }, 'cannot write cached verdict');
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
