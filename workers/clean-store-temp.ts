import type { Logger } from 'pino';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { S3ArtifactStore } from '../src/store/s3-store.ts';
import type { ArtifactStore } from '../src/store/store.ts';

/**
 * Age after which a file in the store's tmp/ is taken as left by a killed writer. A live writer
 * touches its temporary file until it is synced, then links or renames it within moments; fifteen
 * minutes untouched is far beyond that, even for a checkpoint streamed to a slow disk.
 */
export const STALE_TEMP_MS = 15 * 60_000;

/**
 * Removes what killed writers left in the store's tmp/ (a local store's, or an S3 store's local
 * cache's; they are never read, so this only frees space). Called when a worker starts; a failure is
 * logged, never fatal.
 */
export async function cleanStoreTemp(options: {
  store: ArtifactStore;
  log: Logger;
  olderThanMs?: number;
}): Promise<number> {
  const { store, log } = options;
  if (!(store instanceof LocalFolderStore || store instanceof S3ArtifactStore)) return 0;
  try {
    const removed = await store.cleanTemp({ olderThanMs: options.olderThanMs ?? STALE_TEMP_MS });
    if (removed > 0)
      log.info({ store: store.location, removed }, 'removed temporary files left by killed writers');
    return removed;
  } catch (err) {
    log.warn({ err, store: store.location }, 'could not clean the store temporary files');
    return 0;
  }
}
