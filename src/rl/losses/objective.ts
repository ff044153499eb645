import { z } from 'zod';
import type { GraphBuilder } from '../../graph/builder.ts';
import type { Value } from '../../graph/ir.ts';
import { ValidationError } from '../../util/errors.ts';
import { aggregations, TOKEN_MEAN } from './aggregations.ts';
import { K3, klEstimators } from './kl-estimators.ts';
import { policyLosses } from './policy-losses.ts';
import type { Hyperparameter } from './types.ts';

/**
 * The full policy objective, per token:
 *   l = surrogate(ρ, A) + kl_coef · KL_est(π, π_ref) - entropy_coef · H(π)
 * reduced over response tokens by the chosen aggregation. The choice of loss, KL estimator and
 * aggregation is fixed when the graph is built; coefficients and clip ranges are scalar inputs fed
 * each step (kl_coef = 0 turns the KL term off without rebuilding).
 *
 * Metrics (slash-namespaced; token means over response tokens whatever the aggregation):
 *   loss/total, loss/policy, loss/kl, policy/clip_fraction, policy/ratio_mean, policy/entropy,
 *   kl/ref (the chosen estimator against the reference), kl/old (k3 against the rollout policy).
 */
export const PolicyObjectiveSchema = z.object({
  loss: z.string().default('clipped-ratio'),
  aggregation: z.string().default('token-mean'),
  klEstimator: z.string().default('k3'),
  /** Adds -entropy_coef · H to the loss (and the `entropy_coef` input). */
  entropyBonus: z.boolean().default(false),
});
export type PolicyObjective = z.infer<typeof PolicyObjectiveSchema>;

export const KL_COEF: Hyperparameter = {
  name: 'kl_coef',
  description: 'weight of the KL-to-reference term (0 = off)',
  defaultValue: 0,
};
export const ENTROPY_COEF: Hyperparameter = {
  name: 'entropy_coef',
  description: 'weight of the entropy bonus',
  defaultValue: 0,
};

export const METRIC_NAMES = [
  'loss/total',
  'loss/policy',
  'loss/kl',
  'policy/clip_fraction',
  'policy/ratio_mean',
  'policy/entropy',
  'kl/ref',
  'kl/old',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Every scalar hyperparameter input the objective needs (validates the names first). */
export function objectiveHyperparameters(objective: PolicyObjective): Hyperparameter[] {
  const loss = policyLosses.get(objective.loss);
  aggregations.get(objective.aggregation);
  klEstimators.get(objective.klEstimator);
  return [...loss.hyperparameters, KL_COEF, ...(objective.entropyBonus ? [ENTROPY_COEF] : [])];
}

/** The per-token tensors the objective reads, [B, T] (advantages may be [B, 1]). */
export interface ObjectiveTensors {
  logprobs: Value;
  oldLogprobs: Value;
  refLogprobs: Value;
  advantages: Value;
  /** 1 on response tokens, 0 elsewhere (float). */
  mask: Value;
  entropies: Value;
}

export function buildPolicyObjective(options: {
  g: GraphBuilder;
  objective: PolicyObjective;
  tensors: ObjectiveTensors;
  /** One scalar Value per name of `objectiveHyperparameters`. */
  hyper: Readonly<Record<string, Value>>;
}): { loss: Value; metrics: Record<MetricName, Value> } {
  const { g, objective, hyper } = options;
  for (const h of objectiveHyperparameters(objective)) {
    if (hyper[h.name] === undefined)
      throw new ValidationError(`policy objective: hyperparameter input '${h.name}' is missing`);
  }
  const t = options.tensors;
  const surrogate = policyLosses.get(objective.loss).graph({
    g,
    logprobs: t.logprobs,
    oldLogprobs: t.oldLogprobs,
    advantages: t.advantages,
    mask: t.mask,
    hyper,
  });
  const kl = klEstimators
    .get(objective.klEstimator)
    .graph({ g, logprobs: t.logprobs, refLogprobs: t.refLogprobs });
  let perToken = g.add(surrogate.loss, g.mul(kl, hyper[KL_COEF.name] as Value)); // [B, T]
  if (objective.entropyBonus)
    perToken = g.sub(perToken, g.mul(t.entropies, hyper[ENTROPY_COEF.name] as Value));
  const aggregate = aggregations.get(objective.aggregation);
  const loss = aggregate.graph({ g, values: perToken, mask: t.mask });
  const mean = (values: Value) => TOKEN_MEAN.graph({ g, values, mask: t.mask });
  const ratio = g.exp(g.sub(t.logprobs, t.oldLogprobs));
  const metrics: Record<MetricName, Value> = {
    'loss/total': loss,
    'loss/policy': aggregate.graph({ g, values: surrogate.loss, mask: t.mask }),
    'loss/kl': aggregate.graph({ g, values: kl, mask: t.mask }),
    'policy/clip_fraction': mean(surrogate.clipped),
    'policy/ratio_mean': mean(ratio),
    'policy/entropy': mean(t.entropies),
    'kl/ref': mean(kl),
    'kl/old': mean(K3.graph({ g, logprobs: t.logprobs, refLogprobs: t.oldLogprobs })),
  };
  return { loss, metrics };
}

/** Plain numbers for the reference implementation: rows [B][T]; advantages per sequence or per token. */
export interface ReferenceInputs {
  logprobs: readonly (readonly number[])[];
  oldLogprobs: readonly (readonly number[])[];
  refLogprobs: readonly (readonly number[])[];
  advantages: readonly number[] | readonly (readonly number[])[];
  mask: readonly (readonly number[])[];
  entropies: readonly (readonly number[])[];
}

/** The same objective with loops over arrays: what the graph is tested against. */
export function referencePolicyObjective(options: {
  objective: PolicyObjective;
  inputs: ReferenceInputs;
  hyper: Readonly<Record<string, number>>;
}): { loss: number; metrics: Record<MetricName, number> } {
  const { objective, inputs: x, hyper } = options;
  const lossDef = policyLosses.get(objective.loss);
  const klDef = klEstimators.get(objective.klEstimator);
  const aggregate = aggregations.get(objective.aggregation);
  const advantageAt = (b: number, t: number): number => {
    const row = x.advantages[b];
    return typeof row === 'number' ? row : ((row as readonly number[])[t] as number);
  };
  const map = <R>(f: (b: number, t: number) => R): R[][] =>
    x.logprobs.map((row, b) => row.map((_, t) => f(b, t)));
  const lp = (b: number, t: number) => x.logprobs[b]?.[t] as number;
  const surrogate = x.logprobs.map((row, b) =>
    lossDef.reference({
      logprobs: row,
      oldLogprobs: x.oldLogprobs[b] as readonly number[],
      advantages: row.map((_, t) => advantageAt(b, t)),
      mask: x.mask[b] as readonly number[],
      hyper,
    }),
  );
  const pg = surrogate.map((row) => row.loss);
  const kl = map((b, t) =>
    klDef.reference({ logprob: lp(b, t), refLogprob: x.refLogprobs[b]?.[t] as number }),
  );
  const klCoef = hyper[KL_COEF.name] as number;
  const entCoef = objective.entropyBonus ? (hyper[ENTROPY_COEF.name] as number) : 0;
  const perToken = map(
    (b, t) =>
      (pg[b]?.[t] as number) + klCoef * (kl[b]?.[t] as number) - entCoef * (x.entropies[b]?.[t] as number),
  );
  const agg = (values: number[][]) => aggregate.reference({ values, mask: x.mask });
  const mean = (values: number[][]) => TOKEN_MEAN.reference({ values, mask: x.mask });
  const loss = agg(perToken);
  const metrics: Record<MetricName, number> = {
    'loss/total': loss,
    'loss/policy': agg(pg),
    'loss/kl': agg(kl),
    'policy/clip_fraction': mean(surrogate.map((row) => row.clipped)),
    'policy/ratio_mean': mean(map((b, t) => Math.exp(lp(b, t) - (x.oldLogprobs[b]?.[t] as number)))),
    'policy/entropy': mean(x.entropies.map((row) => [...row])),
    'kl/ref': mean(kl),
    'kl/old': mean(
      map((b, t) => K3.reference({ logprob: lp(b, t), refLogprob: x.oldLogprobs[b]?.[t] as number })),
    ),
  };
  return { loss, metrics };
}
