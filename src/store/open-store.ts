import { UnknownNameError } from '../util/errors.ts';
import { LocalFolderStore } from './local-store.ts';
import { S3ArtifactStore } from './s3-store.ts';
import type { ArtifactStore } from './store.ts';
import type { StoreLocation } from './store-location.ts';

type Opener<T extends StoreLocation['type']> = (
  location: Extract<StoreLocation, { type: T }>,
) => ArtifactStore;

/** One opener per store type; a new backend registers here. */
const OPENERS: { [T in StoreLocation['type']]: Opener<T> } = {
  local: (location) => new LocalFolderStore({ root: location.path }),
  s3: (location) => new S3ArtifactStore(location),
};

/** Opens the store a configuration or the environment names (src/config/store-env.ts). */
export function openStore(location: StoreLocation): ArtifactStore {
  const open = OPENERS[location.type] as Opener<StoreLocation['type']> | undefined;
  if (open === undefined) {
    throw new UnknownNameError('store type', String(location.type), Object.keys(OPENERS));
  }
  return open(location);
}
