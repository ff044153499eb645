import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTrainingRun } from '../src/client/run-client.ts';
import { openModel } from '../src/engine/model-files.ts';
import { loadWeights } from '../src/models/llama/weights.ts';
import { readCheckpoint } from '../src/train/checkpoint-store.ts';
import { readRolloutBatch } from '../src/train/rollouts.ts';
import { runRefs } from '../src/train/run-refs.ts';
import {
  checkpointChain,
  type InProcessTemporal,
  prepareFile,
  startInProcessTemporal,
  tinyTaskQueues,
  writeTinyRun,
} from './temporal-harness.ts';

/**
 * A run with `finetune: { mode: full }` on a real dev server with in-process workers and the tiny
 * model: every step trains every weight through the same activities as LoRA; the checkpoints form
 * the hash chain over the weights, each a full checkpoint; the rollouts of step n are sampled from
 * checkpoint n-1.
 */
describe('full fine-tuning on Temporal (real server, tiny model, in-process workers)', () => {
  const queues = tinyTaskQueues('full-ft-test');
  let fixture: InProcessTemporal;

  before(async () => {
    fixture = await startInProcessTemporal({ queues, dirPrefix: 'anchorage-full-ft-' });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('a run trains every weight: full checkpoints in a hash chain, rollouts from the previous one', async () => {
    const steps = 3;
    const file = await writeTinyRun({
      dir: join(fixture.dir, 'full'),
      queuePrefix: 'full-ft-test',
      modelPath: fixture.model.path,
      storeDir: fixture.storeDir,
      steps,
      learningRate: 1e-3,
      klCoefficient: 0.05,
      finetune: { mode: 'full' },
    });
    const { prepared, text } = await prepareFile(file);
    assert.equal(prepared.loaded.config.finetune.mode, 'full');
    const run = await startTrainingRun({
      client: fixture.env.client,
      store: fixture.store,
      prepared,
      file,
      text,
      trainRunId: 'full-run',
      timing: { heartbeatTimeoutSeconds: 10 },
    });
    const result = await run.handle.result();
    assert.equal(result.status, 'completed');
    const chain = await checkpointChain({
      store: fixture.store,
      trainRunId: 'full-run',
      model: fixture.model.path,
    });
    assert.equal(chain.length, steps);
    assert.ok(
      chain.every((c) => c.record.update.applied),
      'every step had a learning signal',
    );
    const { source } = await openModel({ path: fixture.model.path });
    const base = await loadWeights({ source });
    for (const link of chain) {
      const stored = await readCheckpoint({
        store: fixture.store,
        address: link.address,
        model: source.config,
      });
      assert.equal(stored.trainable.kind, 'full');
      assert.equal(stored.manifest.full?.tensors, base.size);
      const moved = [...stored.trainable.tensors].filter(([name, t]) => {
        const was = base.get(name)?.data as Float32Array;
        return t.some((v, i) => v !== was[i]);
      });
      assert.equal(moved.length, base.size, `step ${link.step}: every weight moved`);
    }
    // Step n's rollouts were sampled from checkpoint n-1 (fresh weights for step 1).
    for (const [i, link] of chain.entries()) {
      const ref = await fixture.store.getRef(
        runRefs.rollouts({ trainRunId: 'full-run', step: link.step, purpose: 'train' }),
      );
      assert.ok(ref !== undefined, `step ${link.step} has rollouts`);
      const { batch } = await readRolloutBatch({ store: fixture.store, address: ref });
      assert.equal(batch.checkpoint, i === 0 ? null : chain[i - 1]?.address);
    }
  });
});
