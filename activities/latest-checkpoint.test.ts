import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { LocalFolderStore } from '../src/store/local-store.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { storeRunConfig } from '../src/train/stored-config.ts';
import { prepareFile, tinyTaskQueues, writeTinyModel, writeTinyRun } from '../test/temporal-harness.ts';
import { createActivityDeps } from './deps.ts';
import { latestCheckpointActivity } from './latest-checkpoint.ts';
import type { LatestCheckpointOutput } from './types.ts';

/** The scheduled evaluation's lookup on a real store; checkpoints are stand-in objects. */
describe('latestCheckpoint activity', () => {
  let dir: string;
  let model: Awaited<ReturnType<typeof writeTinyModel>>;
  let store: LocalFolderStore;
  let deps: ReturnType<typeof createActivityDeps>;
  let configAddress: string;
  const trainRunId = 'lookup-run';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-latest-'));
    model = await writeTinyModel({ seed: 5 });
    const storeDir = join(dir, 'store');
    store = new LocalFolderStore({ root: storeDir });
    const file = await writeTinyRun({
      dir,
      queuePrefix: 'lookup',
      modelPath: model.path,
      storeDir,
      steps: 3,
    });
    const { text } = await prepareFile(file);
    configAddress = await storeRunConfig({ store, trainRunId, file, text });
    deps = createActivityDeps({ store, engineThreads: 1 });
  });
  after(async () => {
    await deps?.policies.close();
    await model?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const lookup = (id: string) =>
    new MockActivityEnvironment().run(latestCheckpointActivity(deps), {
      trainRunId: id,
    }) as Promise<LatestCheckpointOutput>;

  it('no checkpoint, then the newest committed one, and whether its step is evaluated', async () => {
    const none = await lookup(trainRunId);
    assert.equal(none.checkpoint, null);
    assert.equal(none.evaluated, false);
    assert.equal(none.configAddress, configAddress);
    assert.deepEqual(none.taskQueues, tinyTaskQueues('lookup'));
    assert.equal(none.judgeShards, 2, 'min(4, prompts per step)');

    const addresses: string[] = [];
    for (const step of [1, 2]) {
      const { address } = await store.putJson({ standIn: 'checkpoint', step });
      await store.setRef(runRefs.checkpoint(trainRunId, step), address, { mode: 'create-only' });
      addresses.push(address);
    }
    const latest = await lookup(trainRunId);
    assert.deepEqual(latest.checkpoint, { step: 2, address: addresses[1] });
    assert.equal(latest.evaluated, false);

    // An evaluation record of another step does not count; one of step 2 does.
    const { address: record } = await store.putJson({ standIn: 'metrics' });
    await store.setRef(runRefs.metrics({ trainRunId, step: 1, purpose: 'eval' }), record, {
      mode: 'create-only',
    });
    assert.equal((await lookup(trainRunId)).evaluated, false);
    await store.setRef(runRefs.metrics({ trainRunId, step: 2, purpose: 'eval' }), record, {
      mode: 'create-only',
    });
    assert.equal((await lookup(trainRunId)).evaluated, true);
  });

  it('an unknown run or a bad id fails without retry, saying what was expected', async () => {
    await assert.rejects(
      lookup('no-such-run'),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        err.type === 'ValidationError' &&
        /no training run 'no-such-run'/.test(err.message),
    );
    await assert.rejects(
      lookup('../escape'),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        /expected \{ trainRunId \} with a training run id/.test(err.message),
    );
  });
});
