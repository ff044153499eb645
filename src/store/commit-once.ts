import type { Address } from './address.ts';
import { RefConflictError } from './errors.ts';
import type { ArtifactStore } from './store.ts';

/**
 * Names `address` with a create-only ref, or finds the address an earlier writer committed under
 * it. Returns the address the ref holds afterwards and whether this call wrote it. A step result is
 * committed once: a retried or duplicate attempt adopts the first one, never replaces it.
 */
export async function commitOnce(options: {
  store: ArtifactStore;
  ref: string;
  address: Address;
}): Promise<{ address: Address; created: boolean }> {
  const { store, ref, address } = options;
  try {
    const result = await store.setRef(ref, address, { mode: 'create-only' });
    return { address, created: result.created };
  } catch (err) {
    if (!(err instanceof RefConflictError) || err.current === undefined) throw err;
    return { address: err.current as Address, created: false };
  }
}
