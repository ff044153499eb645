import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../workers/bundle.ts';

const FIXTURES = fileURLToPath(new URL('fixtures/temporal-histories/', import.meta.url));

/**
 * Recorded histories of a tiny training run (a run continued as new twice, its steps and
 * evaluations) replayed against the current workflow code. A change that would make running
 * workflows non-deterministic fails here: guard it with `patched()`, or, when no run of the old code
 * can exist, record the fixtures again (ANCHORAGE_RECORD_HISTORIES=1 npm test -- test/temporal-training).
 */
test('recorded training histories replay against the current workflow code', async () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.binpb'));
  assert.ok(files.length >= 10, `fixtures in ${FIXTURES}`);
  const histories = files.map((f) => ({
    workflowId: f.replace(/\.binpb$/, ''),
    history: proto.temporal.api.history.v1.History.decode(readFileSync(join(FIXTURES, f))),
  }));
  const types = new Set(
    histories.map((h) => h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name),
  );
  assert.deepEqual([...types].sort(), ['evaluationWorkflow', 'trainingRunWorkflow', 'trainingStepWorkflow']);
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await workflowBundle() },
    histories,
  )) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${result.error}`);
    replayed++;
  }
  assert.equal(replayed, histories.length);
});
