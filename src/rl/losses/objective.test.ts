import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { emitModel } from '../../graph/onnx/model.ts';
import { createRng, type Rng } from '../../graph/random.ts';
import { createSession, runSession } from '../../graph/runtime.ts';
import { type HostTensor, tensor, toNumbers } from '../../graph/tensor.ts';
import { expectGradients } from '../../graph/testing/expect-gradients.ts';
import { UnknownNameError, ValidationError } from '../../util/errors.ts';
import { aggregations } from './aggregations.ts';
import { klEstimators } from './kl-estimators.ts';
import {
  buildPolicyObjective,
  METRIC_NAMES,
  objectiveHyperparameters,
  type PolicyObjective,
  PolicyObjectiveSchema,
  referencePolicyObjective,
} from './objective.ts';
import { CLIPPED_RATIO, policyLosses } from './policy-losses.ts';
import { NamedRegistry } from './registry.ts';

const [B, T] = [3, 7];
const HYPER = {
  clip_low: 0.2,
  clip_high: 0.28,
  gspo_clip_low: 3e-4,
  gspo_clip_high: 4e-4,
  kl_coef: 0.15,
  entropy_coef: 0.02,
};

/** Random per-token inputs: log-probs near each other so that some ratios clip; a ragged mask. */
function randomInputs(rng: Rng, perTokenAdvantages: boolean) {
  const rows = (f: () => number) => Array.from({ length: B }, () => Array.from({ length: T }, f));
  const logprobs = rows(() => -2 * rng.uniform() - 0.1);
  const noisy = (scale: number) => logprobs.map((row) => row.map((v) => v + scale * rng.normal()));
  // Row 0: tokens 2..6, row 1: tokens 4..5, row 2: none (a sequence without response tokens).
  const mask = [
    [0, 0, 1, 1, 1, 1, 1],
    [0, 0, 0, 0, 1, 1, 0],
    [0, 0, 0, 0, 0, 0, 0],
  ];
  return {
    logprobs,
    oldLogprobs: noisy(0.3),
    refLogprobs: noisy(0.5),
    advantages: perTokenAdvantages ? rows(() => rng.normal()) : Array.from({ length: B }, () => rng.normal()),
    mask,
    entropies: rows(() => 3 * rng.uniform()),
  };
}

type Inputs = ReturnType<typeof randomInputs>;
const flat = (rows: readonly (readonly number[])[]) => rows.flat();

async function runObjective(objective: PolicyObjective, x: Inputs): Promise<Record<string, number>> {
  const g = new GraphBuilder();
  const perToken = Array.isArray(x.advantages[0]);
  const input = (name: string, shape: number[]) => g.input({ name, dtype: 'float64', shape });
  const adv = input('advantages', perToken ? [B, T] : [B]);
  const hyper: Record<string, Value> = {};
  for (const h of objectiveHyperparameters(objective)) hyper[h.name] = input(h.name, []);
  const { loss, metrics } = buildPolicyObjective({
    g,
    objective,
    hyper,
    tensors: {
      logprobs: input('logprobs', [B, T]),
      oldLogprobs: input('old', [B, T]),
      refLogprobs: input('ref', [B, T]),
      advantages: perToken ? adv : g.unsqueeze(adv, [1]),
      mask: input('mask', [B, T]),
      entropies: input('entropies', [B, T]),
    },
  });
  g.output(loss, 'loss');
  for (const name of METRIC_NAMES) g.output(metrics[name], name);
  const feeds: Record<string, HostTensor> = {
    logprobs: tensor.f64([B, T], flat(x.logprobs)),
    old: tensor.f64([B, T], flat(x.oldLogprobs)),
    ref: tensor.f64([B, T], flat(x.refLogprobs)),
    advantages: perToken
      ? tensor.f64([B, T], flat(x.advantages as number[][]))
      : tensor.f64([B], x.advantages as number[]),
    mask: tensor.f64([B, T], flat(x.mask)),
    entropies: tensor.f64([B, T], flat(x.entropies)),
  };
  for (const name of Object.keys(hyper))
    feeds[name] = tensor.scalar('float64', HYPER[name as keyof typeof HYPER]);
  const session = await createSession({ model: emitModel({ graph: g }) });
  const out = await runSession({ session, feeds });
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, toNumbers(v)[0] as number]));
}

describe('policy objective: graph against the plain-TypeScript reference', () => {
  const combos: PolicyObjective[] = [];
  for (const loss of policyLosses.names())
    for (const aggregation of aggregations.names())
      for (const klEstimator of klEstimators.names())
        for (const entropyBonus of [false, true])
          combos.push({ loss, aggregation, klEstimator, entropyBonus });

  it(`agrees on the loss and every metric for all ${combos.length} combinations`, async () => {
    const rng = createRng(42);
    for (const [i, objective] of combos.entries()) {
      const x = randomInputs(rng, i % 2 === 0);
      const ours = await runObjective(objective, x);
      const reference = referencePolicyObjective({ objective, inputs: x, hyper: HYPER });
      const label = JSON.stringify(objective);
      assert.ok(Math.abs((ours['loss'] as number) - reference.loss) < 1e-12, `${label}: loss`);
      for (const name of METRIC_NAMES) {
        const [a, b] = [ours[name] as number, reference.metrics[name]];
        assert.ok(Math.abs(a - b) < 1e-12, `${label}: ${name} ${a} vs ${b}`);
      }
    }
  });

  it('computes the clipped objective by hand on four tokens', () => {
    const objective = PolicyObjectiveSchema.parse({});
    const r = referencePolicyObjective({
      objective,
      hyper: { clip_low: 0.2, clip_high: 0.28, kl_coef: 0 },
      inputs: {
        // ratios 1.5 (A=1: clipped at 1.28), 0.5 (A=1: unclipped, the pessimistic branch),
        // 0.5 (A=-1: clipped at 0.8), 1.0 (A=-1: inside the range)
        logprobs: [[Math.log(1.5), Math.log(0.5), Math.log(0.5), 0]],
        oldLogprobs: [[0, 0, 0, 0]],
        refLogprobs: [[0, 0, 0, 0]],
        advantages: [[1, 1, -1, -1]],
        mask: [[1, 1, 1, 1]],
        entropies: [[0, 0, 0, 0]],
      },
    });
    const expected = (-1.28 - 0.5 + 0.8 + 1) / 4;
    assert.ok(Math.abs(r.loss - expected) < 1e-12, `${r.loss} vs ${expected}`);
    assert.equal(r.metrics['policy/clip_fraction'], 0.5);
    assert.ok(Math.abs(r.metrics['policy/ratio_mean'] - 0.875) < 1e-12);
  });

  it('gives 0, not NaN, for a batch without response tokens', async () => {
    const x = randomInputs(createRng(7), false);
    x.mask = x.mask.map((row) => row.map(() => 0));
    for (const aggregation of aggregations.names()) {
      const ours = await runObjective(PolicyObjectiveSchema.parse({ aggregation }), x);
      for (const [name, v] of Object.entries(ours)) assert.equal(v, 0, `${aggregation} ${name}`);
    }
  });
});

describe('policy objective gradients', () => {
  it('match finite differences with respect to log-probs and entropies', async (t) => {
    const x = randomInputs(createRng(9), false);
    const objective = PolicyObjectiveSchema.parse({ aggregation: 'sequence-mean', entropyBonus: true });
    await expectGradients(t, 'clipped ratio + k3 + entropy, sequence-mean', {
      inputs: {
        logprobs: tensor.f64([B, T], flat(x.logprobs)),
        old: tensor.f64([B, T], flat(x.oldLogprobs)),
        ref: tensor.f64([B, T], flat(x.refLogprobs)),
        advantages: tensor.f64([B], x.advantages as number[]),
        mask: tensor.f64([B, T], flat(x.mask)),
        entropies: tensor.f64([B, T], flat(x.entropies)),
      },
      wrt: ['logprobs', 'entropies'],
      build: (g, v) => {
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
            logprobs: v['logprobs'] as Value,
            oldLogprobs: v['old'] as Value,
            refLogprobs: v['ref'] as Value,
            advantages: g.unsqueeze(v['advantages'] as Value, [1]),
            mask: v['mask'] as Value,
            entropies: v['entropies'] as Value,
          },
        }).loss;
      },
    });
  });
});

describe('loss registries', () => {
  it('fail on unknown names, listing the known ones', () => {
    assert.throws(
      () => policyLosses.get('ppo2'),
      (e: unknown) => {
        assert.ok(e instanceof UnknownNameError);
        assert.match(String(e), /unknown policy loss 'ppo2'; known: clipped-ratio, gspo, policy-gradient/);
        return true;
      },
    );
    assert.throws(() => klEstimators.get('k4'), /unknown KL estimator 'k4'; known: k1, k2, k3/);
    assert.throws(
      () => aggregations.get('seq'),
      /unknown loss aggregation 'seq'; known: sequence-mean, token-mean/,
    );
    assert.throws(
      () => objectiveHyperparameters(PolicyObjectiveSchema.parse({ klEstimator: 'kl' })),
      /unknown KL estimator 'kl'/,
    );
  });

  it('refuse a taken name', () => {
    const registry = new NamedRegistry('policy loss', [CLIPPED_RATIO]);
    assert.throws(() => registry.register(CLIPPED_RATIO), ValidationError);
    assert.throws(
      () => registry.register(CLIPPED_RATIO),
      /policy loss 'clipped-ratio' is already registered/,
    );
  });

  it('list the hyperparameter inputs of an objective', () => {
    const names = (o: Partial<PolicyObjective>) =>
      objectiveHyperparameters(PolicyObjectiveSchema.parse(o)).map((h) => h.name);
    assert.deepEqual(names({}), ['clip_low', 'clip_high', 'kl_coef']);
    assert.deepEqual(names({ loss: 'policy-gradient', entropyBonus: true }), ['kl_coef', 'entropy_coef']);
    assert.deepEqual(names({ loss: 'gspo' }), ['gspo_clip_low', 'gspo_clip_high', 'kl_coef']);
  });
});
