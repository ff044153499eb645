import { batchMoments, groupBatch, mapAdvantages } from './group-stats.ts';
import type { AdvantageEstimator, AdvantageInput, AdvantageResult } from './types.ts';

/** GRPO (DeepSeekMath): A = (r - mean_group) / (std_group + eps), unbiased std. */
export const grpo: AdvantageEstimator = {
  name: 'grpo',
  description: '(r - group mean) / (group std + eps)',
  compute(input) {
    const b = groupBatch(input);
    const advantages = mapAdvantages(
      b,
      ({ reward, slot }) => (reward - (b.mean[slot] as number)) / ((b.std[slot] as number) + b.eps),
    );
    return { advantages, groups: b.groups };
  },
};

/** Dr. GRPO ("Understanding R1-Zero-Like Training"): no std division, A = r - mean_group. */
export const drGrpo: AdvantageEstimator = {
  name: 'dr-grpo',
  description: 'r - group mean',
  compute(input) {
    const b = groupBatch(input);
    return {
      advantages: mapAdvantages(b, ({ reward, slot }) => reward - (b.mean[slot] as number)),
      groups: b.groups,
    };
  },
};

/**
 * RLOO: the baseline of response i is the mean of the other scored responses of its group,
 * A_i = r_i - (sum - r_i) / (n - 1) = n / (n - 1) * (r_i - mean). A lone scored response has no
 * baseline and gets 0.
 */
export const rloo: AdvantageEstimator = {
  name: 'rloo',
  description: 'r - mean of the other responses of the group (leave-one-out)',
  compute(input) {
    const b = groupBatch(input);
    const advantages = mapAdvantages(b, ({ reward, slot }) => {
      const n = b.count[slot] as number;
      return n < 2 ? 0 : (n / (n - 1)) * (reward - (b.mean[slot] as number));
    });
    return { advantages, groups: b.groups };
  },
};

function whiten(advantages: (number | null)[], eps: number): (number | null)[] {
  const { mean, std } = batchMoments(advantages);
  return advantages.map((a) => (a === null ? null : (a - mean) / (std + eps)));
}

/**
 * REINFORCE++ with an outcome reward: the return of a response is its reward, whitened over the
 * batch, A = (r - mean_batch) / (std_batch + eps). Statistics are over responses (verl whitens over
 * tokens, which weights long responses more; here every response counts once).
 */
export const reinforcePlusPlus: AdvantageEstimator = {
  name: 'reinforce++',
  description: '(r - batch mean) / (batch std + eps)',
  compute(input) {
    const b = groupBatch(input);
    return {
      advantages: whiten(
        mapAdvantages(b, ({ reward }) => reward),
        b.eps,
      ),
      groups: b.groups,
    };
  },
};

/** REINFORCE++ with a group baseline: subtract the group mean, then whiten over the batch. */
export const reinforcePlusPlusBaseline: AdvantageEstimator = {
  name: 'reinforce++-baseline',
  description: 'r - group mean, then whitened over the batch',
  compute(input: AdvantageInput): AdvantageResult {
    const b = groupBatch(input);
    const centred = mapAdvantages(b, ({ reward, slot }) => reward - (b.mean[slot] as number));
    return { advantages: whiten(centred, b.eps), groups: b.groups };
  },
};

export const BUILTIN_ESTIMATORS: readonly AdvantageEstimator[] = [
  grpo,
  drGrpo,
  rloo,
  reinforcePlusPlus,
  reinforcePlusPlusBaseline,
];
