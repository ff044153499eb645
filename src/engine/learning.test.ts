import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeAdvantages } from '../rl/advantages/index.ts';
import { type GenerationResult, Policy } from './policy.ts';
import { writeTinyModel } from './testing/tiny-model.ts';

/**
 * End-to-end learning on a tiny random model: GRPO against a rule reward (the fraction of sampled
 * tokens equal to a target id) with the real sampler, training graph and AdamW. The target is the
 * token the initial policy samples most often, so rewards vary within groups from the start.
 */
const PROMPTS = [{ ids: [256, 10, 20] }, { ids: [256, 30, 40, 50] }];
const G = 8;
const NEW_TOKENS = 8;

function meanReward(results: readonly GenerationResult[], target: number): number {
  const rewards = results.map((r) => r.tokenIds.filter((t) => t === target).length / r.tokenIds.length);
  return rewards.reduce((a, b) => a + b, 0) / rewards.length;
}

test('GRPO with a rule reward raises the mean reward of a tiny policy', async (t) => {
  const model = await writeTinyModel({ seed: 5, embeddingScale: 0.3 });
  const policy = await Policy.load({ model: model.path, lora: { rank: 8, alpha: 16 }, loraSeed: 1 });
  try {
    const batch = PROMPTS.flatMap((p) => Array.from({ length: G }, () => p));
    const streams = batch.map((_, i) => i);
    const sample = (seed: number) =>
      policy.generate({
        prompts: batch,
        sampling: { temperature: 1, maxNewTokens: NEW_TOKENS, seed, stopIds: [] },
        streams,
      });
    // Evaluation samples use seeds the training steps never use.
    const initial = (await sample(10_000)).results;
    const counts = new Map<number, number>();
    for (const r of initial) for (const t of r.tokenIds) counts.set(t, (counts.get(t) ?? 0) + 1);
    const target = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    const before = meanReward(initial, target);

    const trace: number[] = [];
    for (let step = 0; step < 6; step++) {
      const { results } = await sample(step);
      const rewards = results.map((r) => r.tokenIds.filter((t) => t === target).length / NEW_TOKENS);
      trace.push(rewards.reduce((a, b) => a + b, 0) / rewards.length);
      const { advantages } = computeAdvantages({
        estimator: 'grpo',
        rewards,
        groupIds: batch.map((_, i) => Math.floor(i / G)),
      });
      const sequences = results.flatMap((r, i) => {
        const advantage = advantages[i];
        return advantage === null || advantage === undefined
          ? []
          : [{ promptIds: r.promptIds, responseIds: r.tokenIds, oldLogprobs: r.logprobs, advantage }];
      });
      const result = await policy.trainStep({ sequences, optimizer: { lr: 1e-2, weightDecay: 0 } });
      assert.ok(Number.isFinite(result.loss));
    }
    const after = meanReward((await sample(10_001)).results, target);
    t.diagnostic(
      `target token ${target}: mean reward ${before.toFixed(3)} -> ${after.toFixed(3)}; batches ${trace.map((r) => r.toFixed(2)).join(', ')}`,
    );
    assert.ok(
      after >= before + 0.4,
      `mean reward ${before.toFixed(3)} -> ${after.toFixed(3)} (training batches: ${trace.map((r) => r.toFixed(2)).join(', ')})`,
    );
  } finally {
    await policy.close();
    await model.dispose();
  }
});
