import { z } from 'zod';
import { Reward } from '../rubric/aggregate/reward-schema.ts';
import { Address } from '../store/address.ts';

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
  /** Groups whose scored rewards are all equal (no learning signal under group-relative estimators); absent in records written before it existed. */
  groupsZeroVariance: z.number().int().optional(),
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
