import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.ts';
import { listCustomSearchAttributes } from './search-attributes.ts';
import { createTestEnv } from './test-env.ts';

describe('createTestEnv', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('runs the SDK test environment on the project binary with the search attributes registered', async () => {
    assert.equal(env.supportsTimeSkipping, false);
    const attributes = await listCustomSearchAttributes({
      connection: env.connection,
      namespace: env.namespace ?? 'default',
    });
    for (const key of SEARCH_ATTRIBUTES) assert.equal(attributes.get(key.name), key.type, key.name);
    const handle = await env.client.workflow.start('noWorkerWorkflow', {
      taskQueue: 'nobody-polls-this',
      workflowId: 'test-env-check',
    });
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.terminate('test done');
    assert.equal((await handle.describe()).status.name, 'TERMINATED');
  });
});
