import { z } from 'zod';
import { type PreparedRun, prepareRun } from '../config/check.ts';
import { parseRunConfig } from '../config/load.ts';
import type { Address } from '../store/address.ts';
import { ArtifactNotFoundError } from '../store/errors.ts';
import type { ArtifactStore } from '../store/store.ts';
import { ValidationError } from '../util/errors.ts';
import { runRefs } from './run-refs.ts';

/**
 * A run's configuration as the store keeps it: the YAML text and the file it was read from (its
 * folder anchors relative paths). Workers rebuild the prepared run from it, so every process of a
 * run reads the same configuration whatever happens to the file afterwards.
 */
export const StoredRunConfig = z.strictObject({
  format: z.literal('anchorage.run-config/1'),
  file: z.string().min(1),
  text: z.string(),
});
export type StoredRunConfig = z.infer<typeof StoredRunConfig>;

/** Stores the configuration text and names it `runs/<id>/config` (create-only). */
export async function storeRunConfig(options: {
  store: ArtifactStore;
  trainRunId: string;
  file: string;
  text: string;
}): Promise<Address> {
  const record: StoredRunConfig = {
    format: 'anchorage.run-config/1',
    file: options.file,
    text: options.text,
  };
  const { address } = await options.store.putJson(record);
  await options.store.setRef(runRefs.config(options.trainRunId), address, { mode: 'create-only' });
  return address;
}

/**
 * Reads a stored configuration and prepares the run (every prompt and rubric checked and resolved).
 * A store that lacks the address is a deployment mistake (client and workers on different stores),
 * said so in the error.
 */
export async function loadStoredRun(options: {
  store: ArtifactStore;
  address: string;
  env?: NodeJS.ProcessEnv;
}): Promise<PreparedRun> {
  const { store, address } = options;
  let record: StoredRunConfig;
  try {
    record = await store.getJson(address, StoredRunConfig);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) {
      throw new ValidationError(
        `the run configuration ${address} is not in the store at ${store.location}; the client that started the run and every worker must share one store (ANCHORAGE_STORE_URL for a bucket, else ANCHORAGE_STORE_DIR)`,
        { cause: err },
      );
    }
    throw err;
  }
  const loaded = parseRunConfig({
    text: record.text,
    file: record.file,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  return prepareRun({ loaded, ...(options.env === undefined ? {} : { env: options.env }) });
}
