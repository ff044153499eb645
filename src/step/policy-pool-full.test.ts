import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADAPTER_FILE } from '../engine/checkpoint.ts';
import { writeTinyModel } from '../engine/testing/tiny-model.ts';
import { LoraConfigSchema } from '../models/llama/lora.ts';
import { LocalFolderStore } from '../store/local-store.ts';
import { adapterAddress, putCheckpoint, readCheckpoint } from '../train/checkpoint-store.ts';
import { createPolicyPool } from './policy-pool.ts';

/**
 * A run with `finetune.mode: full` as the trainer and rollout workers see it: the pool starts from
 * the model file's weights, a trained policy is committed to the content-addressed store (every
 * weight, its optimizer state, the hash chain's adapter address) and a later lease loads it back.
 */
test('the policy pool trains every weight with finetune full; its store checkpoint loads back', async () => {
  const model = await writeTinyModel();
  const dir = await mkdtemp(join(tmpdir(), 'anchorage-pool-full-'));
  const store = new LocalFolderStore({ root: join(dir, 'store') });
  const pool = createPolicyPool();
  const request = {
    model: model.path,
    lora: LoraConfigSchema.parse({}),
    loraSeed: 0,
    finetune: 'full' as const,
    store,
  };
  try {
    const committed = await pool.withPolicy({ ...request, checkpoint: null }, async (lease) => {
      const { policy } = lease;
      assert.equal(policy.trainable?.kind, 'full');
      const trainedFrom = adapterAddress(policy.trainable);
      lease.modifying();
      const { results } = await policy.generate({
        prompts: [{ ids: [256, 10, 20] }, { ids: [256, 10, 20] }],
        sampling: { temperature: 1, maxNewTokens: 4, seed: 1, stopIds: [] },
      });
      await policy.trainStep({
        sequences: results.map((r, i) => ({
          promptIds: r.promptIds,
          responseIds: r.tokenIds,
          oldLogprobs: r.logprobs,
          advantage: i === 0 ? 1 : -1,
        })),
        optimizer: { lr: 1e-3 },
      });
      const { address, record } = await putCheckpoint({
        store,
        trainRunId: 'pool-full',
        step: 1,
        parent: null,
        trainedFrom,
        trainable: policy.trainable,
        optimizer: policy.optimizer,
        optimizerSteps: policy.step,
        update: {
          applied: true,
          learningRate: 1e-3,
          metrics: {},
          sequences: 2,
          tokens: 8,
          ms: 1,
          attempt: 1,
          worker: 't',
        },
      });
      assert.notEqual(record.files[ADAPTER_FILE], trainedFrom, 'the step changed the weights');
      assert.equal(record.files[ADAPTER_FILE], adapterAddress(policy.trainable));
      lease.committed(address);
      return { address, tensors: new Map([...policy.trainable.tensors].map(([k, v]) => [k, v.slice()])) };
    });
    const config = await pool.withPolicy(
      { ...request, checkpoint: committed.address },
      async ({ policy }) => policy.config,
    );
    const stored = await readCheckpoint({ store, address: committed.address, model: config });
    assert.equal(stored.trainable.kind, 'full');
    assert.deepEqual(stored.trainable.tensors, committed.tensors);
    assert.equal(stored.manifest.full?.tensors, committed.tensors.size);
    // A fresh pool (another worker process) loads the checkpoint: every weight as trained.
    const other = createPolicyPool();
    try {
      await other.withPolicy({ ...request, checkpoint: committed.address }, async ({ policy }) => {
        assert.equal(policy.trainable?.kind, 'full');
        assert.deepEqual(policy.trainable.tensors, committed.tensors);
        assert.equal(policy.step, 1);
      });
    } finally {
      await other.close();
    }
  } finally {
    await pool.close();
    await model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
