import type { Logger } from 'pino';
import { S3ArtifactStore } from '../src/store/s3-store.ts';
import type { ArtifactStore } from '../src/store/store.ts';

/**
 * Checks, when a worker starts, that its store can keep its promises: an S3 store's server must
 * honour conditional writes, or create-only commits could be overwritten. A `StoreCapabilityError`
 * (or a bucket that cannot be reached) stops the worker before it takes any task. Local stores need
 * no check.
 */
export async function checkStore(options: { store: ArtifactStore; log: Logger }): Promise<void> {
  const { store, log } = options;
  if (!(store instanceof S3ArtifactStore)) return;
  await store.checkConditionalWrites();
  log.info({ store: store.location, cache: store.cacheDir }, 'S3 store checked: conditional writes honoured');
}
