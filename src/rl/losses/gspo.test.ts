import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grad } from '../../graph/autodiff.ts';
import { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { emitModel } from '../../graph/onnx/model.ts';
import { createRng } from '../../graph/random.ts';
import { createSession, runSession } from '../../graph/runtime.ts';
import { type HostTensor, tensor, toNumbers } from '../../graph/tensor.ts';
import { expectGradients } from '../../graph/testing/expect-gradients.ts';
import { GSPO } from './gspo.ts';
import {
  buildPolicyObjective,
  objectiveHyperparameters,
  type PolicyObjective,
  PolicyObjectiveSchema,
  referencePolicyObjective,
} from './objective.ts';
import { CLIPPED_RATIO } from './policy-losses.ts';

/**
 * GSPO beyond the registry-wide graph-vs-reference test (objective.test.ts): the sequence ratio by
 * hand, its gradients against finite differences (one advantage per sequence, where the token form
 * is GSPO's gradient exactly), and the token form's gradient with per-token advantages, where it
 * is by construction not the derivative of the value and is checked against its formula instead.
 */
const [B, T] = [3, 6];
const HYPER = { gspo_clip_low: 3e-4, gspo_clip_high: 4e-4, kl_coef: 0 };
const ZEROS = [0, 0, 0, 0, 0, 0];

function randomBatch(seed: number) {
  const rng = createRng(seed);
  const rows = (f: () => number) => Array.from({ length: B }, () => Array.from({ length: T }, f));
  const logprobs = rows(() => -2 * rng.uniform() - 0.1);
  return {
    logprobs,
    oldLogprobs: logprobs.map((row) => row.map((v) => v + 0.3 * rng.normal())),
    // Row 0: tokens 1..5, row 1: tokens 3..4, row 2: token 2 only.
    mask: [
      [0, 1, 1, 1, 1, 1],
      [0, 0, 0, 1, 1, 0],
      [0, 0, 1, 0, 0, 0],
    ],
    sequenceAdvantages: [1.3, 0.7, 0.4],
    tokenAdvantages: rows(() => rng.normal()),
  };
}

describe('GSPO', () => {
  it('uses the geometric mean of the response tokens’ ratios, clipped per sequence', () => {
    const objective = PolicyObjectiveSchema.parse({ loss: 'gspo', aggregation: 'sequence-mean' });
    const r = referencePolicyObjective({
      objective,
      hyper: HYPER,
      inputs: {
        // Sequence 0: ratios 2, 0.5, 1 -> s = 1 (inside the range; the masked 9 is ignored).
        // Sequences 1, 2: ratios 1.21, 1 -> s = 1.1; A = 1 clips at 1.0004, A = -1 keeps -A s.
        logprobs: [
          [9, Math.log(2), Math.log(0.5), 0],
          [0, 0, Math.log(1.21), 0],
          [0, 0, Math.log(1.21), 0],
        ],
        oldLogprobs: [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
        refLogprobs: [ZEROS.slice(0, 4), ZEROS.slice(0, 4), ZEROS.slice(0, 4)],
        advantages: [0.5, 1, -1],
        mask: [
          [0, 1, 1, 1],
          [0, 0, 1, 1],
          [0, 0, 1, 1],
        ],
        entropies: [ZEROS.slice(0, 4), ZEROS.slice(0, 4), ZEROS.slice(0, 4)],
      },
    });
    const expected = (-0.5 - 1.0004 + 1.1) / 3;
    assert.ok(Math.abs(r.loss - expected) < 1e-12, `${r.loss} vs ${expected}`);
    // The two tokens of sequence 1 are clipped, of 7 response tokens.
    assert.ok(Math.abs(r.metrics['policy/clip_fraction'] - 2 / 7) < 1e-12);
  });

  it('equals the clipped token ratio when every token of a sequence has the same ratio', () => {
    const x = randomBatch(3);
    const perRow = x.oldLogprobs.map((row, b) => row.map((old) => old + 0.01 * (b - 1)));
    for (const [b, row] of perRow.entries()) {
      const args = {
        logprobs: row,
        oldLogprobs: x.oldLogprobs[b] as number[],
        advantages: x.tokenAdvantages[b] as number[],
        mask: x.mask[b] as number[],
      };
      const gspo = GSPO.reference({ ...args, hyper: HYPER });
      const token = CLIPPED_RATIO.reference({
        ...args,
        hyper: { clip_low: HYPER.gspo_clip_low, clip_high: HYPER.gspo_clip_high },
      });
      gspo.loss.forEach((l, t) => {
        assert.ok(Math.abs(l - (token.loss[t] as number)) < 1e-12, `row ${b} token ${t}`);
      });
      assert.deepEqual(gspo.clipped, token.clipped);
    }
  });

  for (const aggregation of ['sequence-mean', 'token-mean']) {
    it(`gradients match finite differences (one advantage per sequence, ${aggregation})`, async (t) => {
      const x = randomBatch(11);
      // Both branches carry sequences, so the checked gradient is not all zero.
      const clipped = x.logprobs.map(
        (row, b) =>
          GSPO.reference({
            logprobs: row,
            oldLogprobs: x.oldLogprobs[b] as number[],
            advantages: row.map(() => x.sequenceAdvantages[b] as number),
            mask: x.mask[b] as number[],
            hyper: HYPER,
          }).clipped.find((_, t) => x.mask[b]?.[t] === 1) as number,
      );
      assert.ok(clipped.includes(0) && clipped.includes(1), `clipped per sequence: ${clipped.join(', ')}`);
      const objective = PolicyObjectiveSchema.parse({ loss: 'gspo', aggregation });
      await expectGradients(t, `gspo, ${aggregation}`, {
        inputs: {
          logprobs: tensor.f64([B, T], x.logprobs.flat()),
          old: tensor.f64([B, T], x.oldLogprobs.flat()),
          advantages: tensor.f64([B], x.sequenceAdvantages),
          mask: tensor.f64([B, T], x.mask.flat()),
        },
        wrt: ['logprobs'],
        build: (g, v) => {
          const logprobs = v['logprobs'] as Value;
          return buildObjective({
            g,
            objective,
            logprobs,
            old: v['old'] as Value,
            advantages: g.unsqueeze(v['advantages'] as Value, [1]),
            mask: v['mask'] as Value,
          });
        },
      });
    });
  }

  it('with per-token advantages, each token’s gradient is -A_t·s·w_t where unclipped (the token form)', async () => {
    const x = randomBatch(5);
    const objective = PolicyObjectiveSchema.parse({ loss: 'gspo', aggregation: 'token-mean' });
    const g = new GraphBuilder();
    const input = (name: string) => g.input({ name, dtype: 'float64', shape: [B, T] });
    const logprobs = input('logprobs');
    const loss = buildObjective({
      g,
      objective,
      logprobs,
      old: input('old'),
      advantages: input('advantages'),
      mask: input('mask'),
    });
    const [dLogprobs] = grad({ graph: g, loss, wrt: [logprobs] });
    g.output(dLogprobs as Value, 'grad');
    const feeds: Record<string, HostTensor> = {
      logprobs: tensor.f64([B, T], x.logprobs.flat()),
      old: tensor.f64([B, T], x.oldLogprobs.flat()),
      advantages: tensor.f64([B, T], x.tokenAdvantages.flat()),
      mask: tensor.f64([B, T], x.mask.flat()),
    };
    const session = await createSession({ model: emitModel({ graph: g }) });
    const ours = toNumbers((await runSession({ session, feeds }))['grad'] as HostTensor);
    await session.release();

    const tokens = x.mask.flat().reduce((a, m) => a + m, 0);
    let clipped = 0;
    let unclipped = 0;
    x.logprobs.forEach((row, b) => {
      const mask = x.mask[b] as number[];
      const out = GSPO.reference({
        logprobs: row,
        oldLogprobs: x.oldLogprobs[b] as number[],
        advantages: x.tokenAdvantages[b] as number[],
        mask,
        hyper: HYPER,
      });
      const n = mask.reduce((a, m) => a + m, 0);
      const s = Math.exp(
        row.reduce((a, lp, t) => a + (mask[t] as number) * (lp - (x.oldLogprobs[b]?.[t] as number)), 0) / n,
      );
      row.forEach((_, t) => {
        const m = mask[t] as number;
        const free = m === 1 && out.clipped[t] === 0;
        const expected = free ? (-(x.tokenAdvantages[b]?.[t] as number) * s) / tokens : 0;
        if (m === 1) free ? unclipped++ : clipped++;
        const got = ours[b * T + t] as number;
        assert.ok(Math.abs(got - expected) < 1e-12, `token ${b},${t}: ${got} vs ${expected}`);
      });
    });
    assert.ok(
      clipped > 0 && unclipped > 0,
      `both branches carry tokens (${clipped} clipped, ${unclipped} not)`,
    );
  });
});

/** The objective's loss with the GSPO hyperparameters as constants (no KL: kl_coef 0). */
function buildObjective(options: {
  g: GraphBuilder;
  objective: PolicyObjective;
  logprobs: Value;
  old: Value;
  advantages: Value;
  mask: Value;
}): Value {
  const { g, objective } = options;
  const hyper = Object.fromEntries(
    objectiveHyperparameters(objective).map((h) => [
      h.name,
      g.scalar(HYPER[h.name as keyof typeof HYPER], 'float64'),
    ]),
  );
  return buildPolicyObjective({
    g,
    objective,
    hyper,
    tensors: {
      logprobs: options.logprobs,
      oldLogprobs: options.old,
      refLogprobs: options.old,
      advantages: options.advantages,
      mask: options.mask,
      entropies: g.zerosLike(options.logprobs),
    },
  }).loss;
}
