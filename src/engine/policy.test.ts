import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createRng } from '../graph/random.ts';
import { randomWeights, tinyConfig, writeModelGguf } from '../models/llama/testing/tiny-llama.ts';
import { ValidationError } from '../util/errors.ts';
import { Policy } from './policy.ts';

const config = tinyConfig();
let root: string;
let modelPath: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'anchorage-policy-'));
  modelPath = join(root, 'tiny.gguf');
  await writeModelGguf({ path: modelPath, config, weights: randomWeights({ config, rng: createRng(5) }) });
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const prompts = [{ ids: [256, 72, 105] }, { text: 'abc' }];

test('a policy generates from ids and text; LoRA adapters change the output and round-trip through a checkpoint', async () => {
  const policy = await Policy.load({ model: modelPath, lora: { rank: 4, alpha: 8 }, loraSeed: 3 });
  try {
    assert.deepEqual(policy.encode({ text: 'abc' }), [97, 98, 99]);
    const sampling = { temperature: 0, maxNewTokens: 6 };
    const base = await policy.generate({ prompts, sampling });
    assert.equal(base.results.length, 2);
    for (const r of base.results) {
      assert.equal(r.tokenIds.length, 6);
      assert.equal(r.logprobs.length, 6);
      assert.equal(typeof r.text, 'string');
    }
    // Fresh adapters have B = 0: the policy equals the base model.
    const plain = await Policy.load({ model: modelPath });
    try {
      assert.deepEqual((await plain.generate({ prompts, sampling })).results, base.results);
    } finally {
      await plain.close();
    }
    // Non-zero B matrices change the model; the bound adapters are refreshed on the next call.
    const rng = createRng(9);
    for (const [name, data] of policy.lora!.tensors) {
      if (name.endsWith('lora_b')) for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    }
    policy.trainableChanged();
    const adapted = await policy.generate({ prompts, sampling });
    assert.notDeepEqual(
      adapted.results.map((r) => r.tokenIds),
      base.results.map((r) => r.tokenIds),
    );
    const dir = join(root, 'ckpt');
    const saved = await policy.saveCheckpoint({ dir });
    assert.equal(saved.manifest.metadata['baseModel'], modelPath);
    const restored = await Policy.load({ model: modelPath, checkpoint: dir });
    try {
      assert.deepEqual((await restored.generate({ prompts, sampling })).results, adapted.results);
    } finally {
      await restored.close();
    }
  } finally {
    await policy.close();
  }
});

test('batches of any size give the same sequences; an aborted signal stops generation', async () => {
  const policy = await Policy.load({ model: modelPath });
  try {
    const many = Array.from({ length: 5 }, (_, i) => ({ ids: [256, 10 + i, 20 + i] }));
    const sampling = { temperature: 1, maxNewTokens: 5, seed: 8 };
    const whole = await policy.generate({ prompts: many, sampling });
    const split = await policy.generate({ prompts: many, sampling, batchSize: 2 });
    assert.deepEqual(
      split.results.map((r) => r.tokenIds),
      whole.results.map((r) => r.tokenIds),
    );
    const steps: number[] = [];
    const controller = new AbortController();
    await assert.rejects(
      policy.generate({
        prompts: many,
        sampling,
        signal: controller.signal,
        onStep: ({ step }) => {
          steps.push(step);
          if (step === 1) controller.abort(new Error('cancelled by the workflow'));
        },
      }),
      /cancelled by the workflow/,
    );
    assert.deepEqual(steps, [0, 1]);
    await assert.rejects(
      policy.generate({ prompts: many, sampling: { topP: 2 } }),
      (err: Error) => err instanceof ValidationError && /field sampling\.topP/.test(err.message),
    );
  } finally {
    await policy.close();
  }
});

test('recomputed log-probs match the sampler; the reference (LoRA off) matches the base model', async () => {
  const policy = await Policy.load({ model: modelPath, lora: { rank: 4, alpha: 8 }, loraSeed: 2 });
  const base = await Policy.load({ model: modelPath });
  try {
    const rng = createRng(4);
    for (const [name, data] of policy.lora!.tensors) {
      if (name.endsWith('lora_b')) for (let i = 0; i < data.length; i++) data[i] = 0.3 * rng.normal();
    }
    policy.trainableChanged();
    const { results } = await policy.generate({
      prompts,
      sampling: { temperature: 1, maxNewTokens: 6, seed: 1 },
    });
    const sequences = results.map((r) => ({ promptIds: r.promptIds, responseIds: r.tokenIds }));
    const recomputed = await policy.logprobs({ sequences, microBatchSize: 1 });
    const reference = await policy.logprobs({ sequences, reference: true });
    const plain = await base.logprobs({ sequences });
    let drift = 0;
    let refDiff = 0;
    let policyVsRef = 0;
    results.forEach((r, b) => {
      r.logprobs.forEach((lp, i) => {
        drift = Math.max(drift, Math.abs(lp - recomputed.logprobs[b]![i]!));
        refDiff = Math.max(refDiff, Math.abs(reference.logprobs[b]![i]! - plain.logprobs[b]![i]!));
        policyVsRef = Math.max(policyVsRef, Math.abs(lp - reference.logprobs[b]![i]!));
      });
    });
    assert.ok(drift < 1e-4, `sampler vs recomputed log-probs differ by ${drift}`);
    assert.ok(refDiff < 1e-5, `reference vs base model differ by ${refDiff}`);
    assert.ok(policyVsRef > 1e-2, 'the adapters should change the log-probs');
    for (const row of recomputed.entropies)
      for (const h of row) assert.ok(h > 0 && h <= Math.log(config.vocabSize) + 1e-4);
  } finally {
    await policy.close();
    await base.close();
  }
});

test('a policy whose worker thread is gone starts a new one on the next call', async () => {
  const policy = await Policy.load({ model: modelPath });
  try {
    const sampling = { temperature: 0, maxNewTokens: 4 };
    const before = await policy.generate({ prompts, sampling });
    // Stands in for a worker that died: the host refuses requests from now on.
    const host = (policy as unknown as { host: { close(): Promise<void>; alive: boolean } }).host;
    await host.close();
    assert.equal(host.alive, false);
    const after = await policy.generate({ prompts, sampling });
    assert.deepEqual(after.results, before.results);
  } finally {
    await policy.close();
  }
});
