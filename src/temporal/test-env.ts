import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalBinary } from './binary.ts';
import { DEV_SERVER_DYNAMIC_CONFIG } from './dev-server.ts';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.ts';

/**
 * A `TestWorkflowEnvironment` on a real local dev server run from the project's `temporal` binary
 * (the SDK cannot download one here), with the project's search attributes registered and the
 * dev server's dynamic configuration (`DEV_SERVER_DYNAMIC_CONFIG`). Each call
 * starts its own server on a free port; call `teardown()` when done.
 */
export async function createTestEnv(
  options: { binary?: string; dbFile?: string; namespace?: string } = {},
): Promise<TestWorkflowEnvironment> {
  const path = options.binary ?? findTemporalBinary();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      log: { format: 'pretty', level: 'error' },
      extraArgs: DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
      ...(options.dbFile === undefined ? {} : { dbFilename: options.dbFile }),
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    },
  });
}
