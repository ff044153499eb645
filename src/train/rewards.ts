import { z } from 'zod';
import { computeAdvantages } from '../rl/advantages/index.ts';
import type { GroupSummary } from '../rl/advantages/types.ts';
import { NonFiniteRewardError } from '../rubric/aggregate/finite.ts';
import { Reward } from '../rubric/aggregate/reward-schema.ts';
import { Address } from '../store/address.ts';
import { ValidationError } from '../util/errors.ts';

/** One rubric's reward for one response, and the rubric's weight for that prompt. */
export interface RubricReward {
  rubricId: string;
  weight: number;
  reward: Reward;
}

/** The reward of a response over all its prompt's rubrics. */
export type CombinedReward =
  | { status: 'scored'; value: number; vetoedBy: string[] }
  | { status: 'unscorable'; reason: string };

/**
 * Combines a response's rubric rewards:
 * - a veto that fired in any rubric voids the whole reward: the value is that rubric's floor (the
 *   lowest floor when several fired), because a disqualified response (reward hacking) must not earn
 *   credit from the other rubrics;
 * - otherwise the weighted mean of the scored rubric rewards, sum(w r) / sum(w);
 * - rubrics that are unscorable for this response are left out of both sums, never counted as 0;
 *   with none scored the response is unscorable (reasons joined).
 */
export function combineRubricRewards(rubrics: readonly RubricReward[]): CombinedReward {
  if (rubrics.length === 0) return { status: 'unscorable', reason: 'the prompt has no rubric' };
  const vetoes = rubrics.filter(
    (r) => r.reward.status === 'scored' && r.reward.explanation.vetoesFired.length > 0,
  );
  if (vetoes.length > 0) {
    return {
      status: 'scored',
      value: Math.min(...vetoes.map((r) => r.reward.explanation.floor)),
      vetoedBy: vetoes.flatMap((r) => r.reward.explanation.vetoesFired.map((c) => `${r.rubricId}#${c}`)),
    };
  }
  let num = 0;
  let den = 0;
  const reasons: string[] = [];
  for (const r of rubrics) {
    if (!(r.weight > 0) || !Number.isFinite(r.weight)) {
      throw new ValidationError(`rubric '${r.rubricId}' has weight ${r.weight}; expected a positive number`);
    }
    if (r.reward.status === 'unscorable') {
      reasons.push(`${r.rubricId}: ${r.reward.reason}`);
      continue;
    }
    num += r.weight * r.reward.value;
    den += r.weight;
  }
  if (den === 0) return { status: 'unscorable', reason: reasons.join('; ') };
  return { status: 'scored', value: num / den, vetoedBy: [] };
}

export const SampleReward = z.strictObject({
  group: z.number().int().nonnegative(),
  sample: z.number().int().nonnegative(),
  /** The combined reward; null: unscorable (left out of baselines and the loss). */
  reward: z.number().finite().nullable(),
  /**
   * The overlong penalty (`rl.overlongBufferTokens`), present when it is on: added to `reward` for
   * the advantages (and the group's zero-variance test); `reward` stays the rubrics' reward.
   */
  lengthPenalty: z.number().finite().optional(),
  /** Null where masked: unscorable, or the group was dropped. */
  advantage: z.number().finite().nullable(),
  vetoedBy: z.array(z.string()),
  unscorableReason: z.string().optional(),
  rubrics: z.array(z.strictObject({ rubricId: z.string(), weight: z.number(), reward: Reward })),
});
export type SampleReward = z.infer<typeof SampleReward>;

/** Small facts about a step's rewards; crosses the workflow boundary. */
export const RewardSummary = z.strictObject({
  responses: z.number().int(),
  scored: z.number().int(),
  /** Mean, std, min and max of the scored rewards; null when none was scored. */
  mean: z.number().nullable(),
  std: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  vetoed: z.number().int(),
  groups: z.number().int(),
  groupsDropped: z.number().int(),
  /** Responses that carry an advantage (enter the loss). */
  trainable: z.number().int(),
  /** Mean reward of the greedy members (`rl.greedyMember`); absent when a step has none. */
  greedyMean: z.number().nullable().optional(),
  /** Mean reward per rubric (instance rubrics pooled under `instance`). */
  rubricMeans: z.record(z.string(), z.number()),
  /** Mean normalised score per criterion id over every scored verdict. */
  criterionMeans: z.record(z.string(), z.number()),
  ms: z.number(),
});
export type RewardSummary = z.infer<typeof RewardSummary>;

export const RewardsRecord = z.strictObject({
  format: z.literal('anchorage.rewards/1'),
  rollouts: Address,
  judgements: z.array(Address),
  estimator: z.string(),
  samples: z.array(SampleReward),
  groups: z.array(
    z.strictObject({
      groupId: z.number().int(),
      size: z.number().int(),
      scored: z.number().int(),
      mean: z.number().nullable(),
      std: z.number(),
      zeroVariance: z.boolean(),
      dropped: z.boolean(),
    }),
  ),
  summary: RewardSummary,
});
export type RewardsRecord = z.infer<typeof RewardsRecord>;

/**
 * Throws NonFiniteRewardError when `value` is NaN or infinite: a reward must never travel on as NaN
 * (the step is refused instead: src/step/refusals.ts). `rubrics` name what fed it.
 */
function finiteReward(value: number, what: () => string, rubrics?: readonly RubricReward[]): void {
  if (Number.isFinite(value)) return;
  const inputs =
    rubrics === undefined
      ? ''
      : ` (from ${rubrics
          .map(
            (r) =>
              `rubric '${r.rubricId}' weight ${r.weight}: ${r.reward.status === 'scored' ? r.reward.value : 'unscorable'}`,
          )
          .join(', ')})`;
  throw new NonFiniteRewardError(`${what()} is ${value}, a finite number was expected${inputs}`);
}

/** Criterion means are reported for at most this many ids, so a summary stays small. */
const MAX_CRITERIA = 200;

/**
 * Rewards and advantages of a step. `groups[i][s]` holds the rubric rewards of sample s of group i.
 * Each response's rubric rewards are combined (`combineRubricRewards`), then the estimator turns the
 * combined rewards into advantages within each group; unscorable responses get neither.
 * `rubricKey` names a rubric in the means (e.g. `instance` for per-prompt rubrics).
 * `lengthPenalty` shapes the rewards the estimator sees (reward + penalty; src/rl/overlong.ts); the
 * summary's means stay the rubrics' rewards.
 */
export function computeStepRewards(options: {
  groups: readonly (readonly (readonly RubricReward[])[])[];
  estimator: string;
  dropZeroVariance: boolean;
  /** Evaluation wants rewards only. */
  advantages?: boolean;
  rubricKey?: (rubricId: string) => string;
  /** Which samples were decoded greedily (`rl.greedyMember`): their mean is reported apart. */
  greedy?: (group: number, sample: number) => boolean;
  /** A penalty added to each scored response's reward before advantages (overlong handling). */
  lengthPenalty?: (group: number, sample: number) => number;
}): { samples: SampleReward[]; groups: RewardsRecord['groups']; summary: Omit<RewardSummary, 'ms'> } {
  const { groups, rubricKey = (id) => id } = options;
  const samples: SampleReward[] = [];
  groups.forEach((group, g) => {
    group.forEach((rubrics, s) => {
      const combined = combineRubricRewards(rubrics);
      const penalty = options.lengthPenalty?.(g, s);
      if (combined.status === 'scored') {
        finiteReward(combined.value, () => `the combined reward of group ${g} sample ${s}`, rubrics);
      }
      if (penalty !== undefined) finiteReward(penalty, () => `the length penalty of group ${g} sample ${s}`);
      samples.push({
        group: g,
        sample: s,
        reward: combined.status === 'scored' ? combined.value : null,
        ...(penalty === undefined ? {} : { lengthPenalty: penalty }),
        advantage: null,
        vetoedBy: combined.status === 'scored' ? combined.vetoedBy : [],
        ...(combined.status === 'unscorable' ? { unscorableReason: combined.reason } : {}),
        rubrics: rubrics.map((r) => ({ rubricId: r.rubricId, weight: r.weight, reward: r.reward })),
      });
    });
  });
  let groupSummaries: GroupSummary[] = [];
  if (options.advantages !== false) {
    const result = computeAdvantages({
      estimator: options.estimator,
      rewards: samples.map((s) => (s.reward === null ? null : s.reward + (s.lengthPenalty ?? 0))),
      groupIds: samples.map((s) => s.group),
      dropZeroVariance: options.dropZeroVariance,
    });
    result.advantages.forEach((a, i) => {
      if (a !== null) {
        finiteReward(a, () => `the advantage of group ${samples[i]!.group} sample ${samples[i]!.sample}`);
      }
      samples[i]!.advantage = a;
    });
    groupSummaries = result.groups;
  }

  const scored = samples.flatMap((s) => (s.reward === null ? [] : [s.reward]));
  const mean = scored.length === 0 ? null : scored.reduce((a, b) => a + b, 0) / scored.length;
  const std =
    mean === null ? null : Math.sqrt(scored.reduce((a, r) => a + (r - mean) ** 2, 0) / scored.length);
  const rubricSums = new Map<string, { sum: number; n: number }>();
  const criterionSums = new Map<string, { sum: number; n: number }>();
  const add = (map: Map<string, { sum: number; n: number }>, key: string, value: number) => {
    const entry = map.get(key) ?? { sum: 0, n: 0 };
    entry.sum += value;
    entry.n += 1;
    map.set(key, entry);
  };
  for (const s of samples) {
    for (const r of s.rubrics) {
      if (r.reward.status === 'scored') add(rubricSums, rubricKey(r.rubricId), r.reward.value);
      for (const c of r.reward.explanation.criteria) {
        if (c.normalised === null) continue;
        if (criterionSums.has(c.id) || criterionSums.size < MAX_CRITERIA)
          add(criterionSums, c.id, c.normalised);
      }
    }
  }
  const greedy =
    options.greedy === undefined ? [] : samples.filter((s) => options.greedy!(s.group, s.sample));
  const greedyScored = greedy.flatMap((s) => (s.reward === null ? [] : [s.reward]));
  const means = (map: Map<string, { sum: number; n: number }>) =>
    Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.sum / v.n]));
  return {
    samples,
    groups: groupSummaries.map((g) => ({ ...g, mean: Number.isFinite(g.mean) ? g.mean : null })),
    summary: {
      responses: samples.length,
      scored: scored.length,
      mean,
      std,
      min: scored.length === 0 ? null : Math.min(...scored),
      max: scored.length === 0 ? null : Math.max(...scored),
      vetoed: samples.filter((s) => s.vetoedBy.length > 0).length,
      groups: groups.length,
      groupsDropped: groupSummaries.filter((g) => g.dropped).length,
      trainable: samples.filter((s) => s.advantage !== null).length,
      ...(greedy.length === 0
        ? {}
        : {
            greedyMean:
              greedyScored.length === 0
                ? null
                : greedyScored.reduce((a, b) => a + b, 0) / greedyScored.length,
          }),
      rubricMeans: means(rubricSums),
      criterionMeans: means(criterionSums),
    },
  };
}
