import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PolicyObjectiveSchema, referencePolicyObjective } from '../rl/losses/objective.ts';
import { NonFiniteError } from '../rl/optim/non-finite.ts';
import { ValidationError } from '../util/errors.ts';
import { Policy } from './policy.ts';
import { writeTinyModel } from './testing/tiny-model.ts';
import type { TrainSequence } from './train-step.ts';

let model: { path: string; dispose: () => Promise<void> };
before(async () => {
  model = await writeTinyModel();
});
after(async () => {
  await model.dispose();
});

const PROMPTS = [{ ids: [256, 10, 20] }, { ids: [256, 30, 40, 50, 60] }, { ids: [256, 7] }];
const optimizer = { lr: 5e-3, weightDecay: 0.01 };

async function open(): Promise<Policy> {
  return Policy.load({ model: model.path, lora: { rank: 4, alpha: 8 }, loraSeed: 1 });
}

/** A deterministic batch for step `step`: 2 samples per prompt, toy advantages. */
async function rollout(policy: Policy, step: number): Promise<TrainSequence[]> {
  const prompts = PROMPTS.flatMap((p) => [p, p]);
  const { results } = await policy.generate({
    prompts,
    sampling: { temperature: 1, maxNewTokens: 3 + (step % 3), seed: 100 + step },
    streams: prompts.map((_, i) => i),
  });
  return results.map((r, i) => ({
    promptIds: r.promptIds,
    responseIds: r.tokenIds,
    oldLogprobs: r.logprobs,
    advantage: (i % 2 === 0 ? 1 : -1) * (1 + (i % 3) / 2),
  }));
}

function snapshot(policy: Policy) {
  return {
    lora: new Map([...policy.lora!.tensors].map(([k, v]) => [k, v.slice()])),
    m: Object.fromEntries(Object.entries(policy.optimizer?.state.m ?? {}).map(([k, v]) => [k, v.slice()])),
    v: Object.fromEntries(Object.entries(policy.optimizer?.state.v ?? {}).map(([k, v]) => [k, v.slice()])),
    step: policy.step,
  };
}

test('the step loss equals the reference objective on log-probs from the scoring graph', async () => {
  const policy = await open();
  try {
    // Move away from B = 0 so that the policy differs from the reference and old log-probs.
    await policy.trainStep({ sequences: await rollout(policy, 0), optimizer });
    const sequences = await rollout(policy, 1);
    // Old log-probs slightly off-policy so that some ratios clip.
    const shifted = sequences.map((s, i) => ({
      ...s,
      oldLogprobs: s.oldLogprobs.map((lp, j) => lp + 0.3 * Math.sin(i + j)),
    }));
    const scored = await policy.logprobs({ sequences: shifted });
    const ref = await policy.logprobs({ sequences: shifted, reference: true });
    for (const aggregation of ['token-mean', 'sequence-mean']) {
      const objective = PolicyObjectiveSchema.parse({ aggregation, klEstimator: 'k3', entropyBonus: true });
      const hyper = { clip_low: 0.2, clip_high: 0.28, kl_coef: 0.05, entropy_coef: 0.01 };
      const expected = referencePolicyObjective({
        objective,
        hyper,
        inputs: {
          logprobs: scored.logprobs,
          oldLogprobs: shifted.map((s) => s.oldLogprobs),
          refLogprobs: ref.logprobs,
          advantages: shifted.map((s) => s.advantage),
          mask: scored.logprobs.map((row) => row.map(() => 1)),
          entropies: scored.entropies,
        },
      });
      const before = snapshot(policy);
      const result = await policy.trainStep({
        sequences: shifted,
        objective,
        hyper,
        optimizer: { ...optimizer, lr: 1e-12 },
      });
      assert.ok(
        Math.abs(result.loss - expected.loss) < 1e-4,
        `${aggregation}: loss ${result.loss} vs ${expected.loss}`,
      );
      assert.ok(Math.abs(result.clipFraction - expected.metrics['policy/clip_fraction']) < 1e-6);
      assert.ok(result.clipFraction > 0, 'some ratios should clip');
      assert.ok(Math.abs(result.kl! - expected.metrics['kl/ref']) < 1e-4);
      assert.ok(Math.abs(result.entropy - expected.metrics['policy/entropy']) < 1e-4);
      assert.equal(result.step, before.step + 1);
      assert.ok(result.gradNorm > 0 && Number.isFinite(result.gradNorm));
    }
  } finally {
    await policy.close();
  }
});

test('micro-batches give the same step as one batch (token-mean and sequence-mean)', async () => {
  for (const aggregation of ['token-mean', 'sequence-mean']) {
    const whole = await open();
    const split = await open();
    try {
      const sequences = await rollout(whole, 2);
      const a = await whole.trainStep({ sequences, optimizer, objective: { aggregation } });
      const progress: string[] = [];
      const b = await split.trainStep({
        sequences,
        optimizer,
        objective: { aggregation },
        microBatchSize: 2,
        onMicroBatch: ({ done, total }) => progress.push(`${done}/${total}`),
      });
      const parts = Math.ceil(sequences.length / 2);
      assert.deepEqual(
        progress,
        Array.from({ length: parts }, (_, i) => `${i + 1}/${parts}`),
        'progress after every micro-batch',
      );
      assert.ok(Math.abs(a.loss - b.loss) < 1e-6);
      assert.ok(Math.abs(a.gradNorm - b.gradNorm) < 1e-5 * a.gradNorm, `${a.gradNorm} vs ${b.gradNorm}`);
      for (const [name, t] of whole.lora!.tensors) {
        const u = split.lora!.tensors.get(name)!;
        let worst = 0;
        t.forEach((x, i) => {
          worst = Math.max(worst, Math.abs(x - u[i]!));
        });
        // Float32 sums in another order; Adam's first step (lr * g / |g|) amplifies that for |g| near 0.
        assert.ok(worst < 2e-3 * optimizer.lr, `${aggregation} ${name}: differs by ${worst}`);
      }
    } finally {
      await whole.close();
      await split.close();
    }
  }
});

test('a non-finite loss refuses the step and leaves adapters and optimizer state exactly as they were', async () => {
  const policy = await open();
  try {
    await policy.trainStep({ sequences: await rollout(policy, 3), optimizer });
    const sequences = await rollout(policy, 4);
    // Diverged adapters: activations overflow to inf/NaN.
    for (const [name, data] of policy.lora!.tensors) if (name.endsWith('lora_b')) data.fill(1e30);
    policy.trainableChanged();
    const before = snapshot(policy);
    await assert.rejects(policy.trainStep({ sequences, optimizer }), (err: Error) => {
      assert.ok(err instanceof NonFiniteError, String(err));
      assert.equal(err.retryable, false);
      assert.match(err.message, /refused/);
      return true;
    });
    assert.deepEqual(snapshot(policy), before);
    // Bad input is a validation error, before anything runs.
    await assert.rejects(
      policy.trainStep({ sequences: [{ ...sequences[0]!, advantage: Number.NaN }], optimizer }),
      (err: Error) => err instanceof ValidationError && /advantage/.test(err.message),
    );
    await assert.rejects(policy.trainStep({ sequences, optimizer, hyper: { clip_lo: 0.1 } }), /clip_lo/);
  } finally {
    await policy.close();
  }
});

test('resuming from a checkpoint is bit-identical: 4 steps straight = 2 steps, save, load, 2 steps', async () => {
  const root = await mkdtemp(join(tmpdir(), 'anchorage-resume-'));
  const straight = await open();
  const first = await open();
  try {
    for (let step = 0; step < 4; step++)
      await straight.trainStep({ sequences: await rollout(straight, step), optimizer });
    for (let step = 0; step < 2; step++)
      await first.trainStep({ sequences: await rollout(first, step), optimizer });
    const dir = join(root, 'step-2');
    await first.saveCheckpoint({ dir });
    await first.close();
    const resumed = await Policy.load({ model: model.path, checkpoint: dir });
    try {
      assert.equal(resumed.step, 2);
      for (let step = 2; step < 4; step++)
        await resumed.trainStep({ sequences: await rollout(resumed, step), optimizer });
      const a = snapshot(straight);
      const b = snapshot(resumed);
      assert.equal(b.step, 4);
      assert.deepEqual(b, a);
    } finally {
      await resumed.close();
    }
  } finally {
    await straight.close();
    await first.close();
    await rm(root, { recursive: true, force: true });
  }
});
