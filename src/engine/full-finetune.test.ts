import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { expectedWeights } from '../models/config.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { Policy } from './policy.ts';
import { writeTinyModel } from './testing/tiny-model.ts';
import type { TrainSequence } from './train-step.ts';

/**
 * Full fine-tuning on the tiny model through the same Policy.trainStep as LoRA: the trainable
 * tensors are every weight of the model; rollouts and scoring see the updated weights; the
 * reference model stays the model file's; a checkpoint holds every weight and its optimizer state.
 */
let model: { path: string; dispose: () => Promise<void> };
before(async () => {
  model = await writeTinyModel();
});
after(async () => {
  await model.dispose();
});

const PROMPTS = [{ ids: [256, 10, 20] }, { ids: [256, 30, 40, 50, 60] }, { ids: [256, 7] }];
const optimizer = { lr: 1e-3, weightDecay: 0 };

async function open(): Promise<Policy> {
  return Policy.load({ model: model.path, full: true });
}

/** Two samples per prompt; the first of each pair gets advantage +1, the second -1. */
async function rollout(policy: Policy, step: number): Promise<TrainSequence[]> {
  const prompts = PROMPTS.flatMap((p) => [p, p]);
  const { results } = await policy.generate({
    prompts,
    sampling: { temperature: 1, maxNewTokens: 4, seed: 100 + step, stopIds: [] },
    streams: prompts.map((_, i) => i),
  });
  return results.map((r, i) => ({
    promptIds: r.promptIds,
    responseIds: r.tokenIds,
    oldLogprobs: r.logprobs,
    advantage: i % 2 === 0 ? 1 : -1,
  }));
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function assertClose(options: {
  actual: readonly (readonly number[])[];
  expected: readonly (readonly number[])[];
  tolerance: number;
  what: string;
}): void {
  const { actual, expected, tolerance, what } = options;
  assert.equal(actual.length, expected.length);
  for (const [i, row] of actual.entries()) {
    for (const [t, v] of row.entries()) {
      const e = expected[i]?.[t] as number;
      assert.ok(Math.abs(v - e) < tolerance, `${what}: sequence ${i} token ${t}: ${v} vs ${e}`);
    }
  }
}

test('one full fine-tuning step moves every weight and the log-probs the way the advantages say', async () => {
  const policy = await open();
  try {
    const config = policy.config;
    assert.equal(policy.trainable?.kind, 'full');
    assert.deepEqual([...policy.trainable.tensors.keys()].sort(), [...expectedWeights(config).keys()].sort());
    const before = new Map([...policy.trainable.tensors].map(([k, v]) => [k, v.slice()]));
    const sequences = await rollout(policy, 0);
    const scored = await policy.logprobs({ sequences });
    // The rollout's log-probs are the scoring graph's (on-policy start).
    const oldOf = (batch: readonly TrainSequence[]) => batch.map((x) => x.oldLogprobs);
    assertClose({ actual: scored.logprobs, expected: oldOf(sequences), tolerance: 1e-4, what: 'rollout' });

    const result = await policy.trainStep({
      sequences,
      objective: { loss: 'policy-gradient', aggregation: 'token-mean' },
      hyper: { kl_coef: 0 },
      optimizer,
    });
    assert.ok(Number.isFinite(result.loss) && result.gradNorm > 0);
    assert.equal(policy.step, 1);
    // Every weight moved (each has a gradient: embedding rows of the batch's tokens, norms, projections).
    for (const [name, was] of before) {
      const now = policy.trainable.tensors.get(name) as Float32Array;
      assert.ok(
        now.some((v, i) => v !== was[i]),
        `${name} did not change`,
      );
    }
    const after = await policy.logprobs({ sequences });
    const deltas = sequences.map((_, i) => sum(after.logprobs[i] ?? []) - sum(scored.logprobs[i] ?? []));
    sequences.forEach((s, i) => {
      const d = deltas[i] as number;
      assert.ok(
        s.advantage > 0 ? d > 0 : d < 0,
        `sequence ${i} (advantage ${s.advantage}): log-prob moved by ${d}`,
      );
    });
    // Rollouts see the updated weights: the sampler's log-probs of the same tokens are the new ones.
    const again = await rollout(policy, 0);
    const rescored = await policy.logprobs({ sequences: again });
    assertClose({ actual: rescored.logprobs, expected: oldOf(again), tolerance: 1e-4, what: 'new rollout' });
    // The reference model is the model file's: its log-probs are those of before the step.
    const reference = await policy.logprobs({ sequences, reference: true });
    assertClose({
      actual: reference.logprobs,
      expected: scored.logprobs,
      tolerance: 1e-5,
      what: 'reference',
    });
  } finally {
    await policy.close();
  }
});

test('a full checkpoint round-trips every weight and the optimizer state; a loaded policy resumes bit-identically', async () => {
  const root = await mkdtemp(join(tmpdir(), 'anchorage-full-'));
  const straight = await open();
  const first = await open();
  try {
    for (let step = 0; step < 3; step++) {
      await straight.trainStep({
        sequences: await rollout(straight, step),
        optimizer,
        hyper: { kl_coef: 0.05 },
      });
    }
    for (let step = 0; step < 2; step++) {
      await first.trainStep({ sequences: await rollout(first, step), optimizer, hyper: { kl_coef: 0.05 } });
    }
    const dir = join(root, 'step-2');
    const saved = await first.saveCheckpoint({ dir });
    assert.ok(saved.manifest.full !== undefined && saved.manifest.lora === undefined);
    assert.equal(saved.manifest.full.tensors, expectedWeights(first.config).size);
    const loaded = await loadCheckpoint({ dir, model: first.config });
    assert.equal(loaded.trainable.kind, 'full');
    assert.deepEqual(loaded.trainable.tensors, first.trainable?.tensors);
    assert.deepEqual(loaded.optimizer?.state, first.optimizer?.state);
    const probe = await rollout(first, 7);
    const expected = await first.logprobs({ sequences: probe });
    await first.close();

    const resumed = await Policy.load({ model: model.path, checkpoint: dir });
    try {
      assert.equal(resumed.trainable?.kind, 'full');
      assert.equal(resumed.step, 2);
      // Generation and scoring of the loaded policy are the trained one's.
      assert.deepEqual(await rollout(resumed, 7), probe);
      assert.deepEqual(await resumed.logprobs({ sequences: probe }), expected);
      await resumed.trainStep({ sequences: await rollout(resumed, 2), optimizer, hyper: { kl_coef: 0.05 } });
      assert.equal(resumed.step, 3);
      assert.deepEqual(resumed.trainable?.tensors, straight.trainable?.tensors);
      assert.deepEqual(resumed.optimizer?.state, straight.optimizer?.state);
    } finally {
      await resumed.close();
    }
  } finally {
    await straight.close();
    await first.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('micro-batches (gradients summed in float32) give the step of one batch', async () => {
  const whole = await open();
  const split = await open();
  try {
    const sequences = await rollout(whole, 3);
    const a = await whole.trainStep({ sequences, optimizer });
    const b = await split.trainStep({ sequences, optimizer, microBatchSize: 2 });
    assert.ok(Math.abs(a.loss - b.loss) < 1e-6, `loss ${a.loss} vs ${b.loss}`);
    assert.ok(
      Math.abs(a.gradNorm - b.gradNorm) / a.gradNorm < 1e-5,
      `grad norm ${a.gradNorm} vs ${b.gradNorm}`,
    );
    let worst = 0;
    for (const [name, t] of whole.trainable?.tensors ?? []) {
      const u = split.trainable?.tensors.get(name) as Float32Array;
      for (let i = 0; i < t.length; i++)
        worst = Math.max(worst, Math.abs((t[i] as number) - (u[i] as number)));
    }
    // AdamW moves each weight by about lr; float32 sums of the micro-batches differ far below that.
    assert.ok(worst < 1e-5, `weights differ by ${worst}`);
  } finally {
    await whole.close();
    await split.close();
  }
});
