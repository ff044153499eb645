import { UnknownNameError } from '../util/errors.ts';
import { LocalFolderStore } from './local-store.ts';
import type { ArtifactStore } from './store.ts';

/** Where a store lives, as the run configuration gives it (paths already resolved). */
export type StoreLocation = { type: 'local'; path: string };

const OPENERS: Record<string, (location: StoreLocation) => ArtifactStore> = {
  local: (location) => new LocalFolderStore({ root: location.path }),
};

/** Opens the store a configuration names; a new backend (S3-compatible) registers an opener here. */
export function openStore(location: StoreLocation): ArtifactStore {
  const open = OPENERS[location.type];
  if (open === undefined) throw new UnknownNameError('store type', location.type, Object.keys(OPENERS));
  return open(location);
}
