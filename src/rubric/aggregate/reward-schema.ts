import { z } from 'zod';
import { Interaction, Shaping } from '../schema.ts';
import { VerdictSample } from '../verdict.ts';

/**
 * The reward of one response and its explanation. These cross activity boundaries (judge ->
 * advantage -> store -> CLI), so they are zod schemas; the types derive from them.
 *
 * The explanation records every step of the aggregation chain as computed:
 *   normalised x -> transformed t (saturation) -> weighted mean -> + interactions -> clip
 *   -> shaping -> clip
 * The chain is computed whenever the mean has a denominator, also when a veto fired or the
 * response is unscorable as a whole, so one can see what the veto voided; the reward's `status`
 * and `value` are the authority, never `afterShaping`.
 */
const finite = z.number().finite();

export const CriterionExplanation = z.strictObject({
  id: z.string(),
  kind: z.enum(['score', 'veto']),
  weight: finite,
  status: z.enum(['scored', 'unscorable']),
  /** Tier score and label the evaluator gave; null when unscorable. */
  tierScore: finite.nullable(),
  tierLabel: z.string().nullable(),
  topScore: finite,
  /** x = tierScore / topScore. */
  normalised: finite.nullable(),
  /** Saturation curvature that applied (criterion override, else the rubric's), null for none. */
  saturation: finite.nullable(),
  /** t = saturation(x), or x without saturation. */
  transformed: finite.nullable(),
  /**
   * Signed share of the weighted mean: w t / (sum of scored positive weights). The contributions sum
   * to `weightedMean` up to rounding. Null when unscorable or when the mean has no denominator.
   */
  contribution: finite.nullable(),
  vetoThreshold: finite.nullable(),
  vetoFired: z.boolean(),
  reason: z.string(),
  evaluator: z.string(),
  /** A judge asked several times (`samples` > 1): each sample's tier and reason; tierScore is their mean. */
  samples: z.array(VerdictSample).optional(),
});
export type CriterionExplanation = z.infer<typeof CriterionExplanation>;

const termBase = {
  a: z.string(),
  b: z.string(),
  fn: Interaction.shape.fn.unwrap(),
  coefficient: finite,
};
export const InteractionTermExplanation = z.discriminatedUnion('status', [
  /** g = fn(t_a, t_b); value = coefficient * g, added to the mean. */
  z.strictObject({ ...termBase, status: z.literal('applied'), g: finite, value: finite }),
  /** Left out because a member is unscorable (it adds nothing, it does not count as 0). */
  z.strictObject({ ...termBase, status: z.literal('skipped'), reason: z.string() }),
]);
export type InteractionTermExplanation = z.infer<typeof InteractionTermExplanation>;

export const RewardExplanation = z.strictObject({
  rubricId: z.string(),
  rubricVersion: z.number().int(),
  criteria: z.array(CriterionExplanation),
  /** Positive-weight criteria scored, out of all of them, and the fraction required. */
  coverage: z.strictObject({
    scoredPositive: z.number().int().nonnegative(),
    totalPositive: z.number().int().nonnegative(),
    minScoredFraction: finite,
  }),
  /** sum of w t over scored criteria (penalties negative). */
  numerator: finite,
  /** sum of the positive weights of scored criteria; 0 when none was scored. */
  denominator: finite,
  /** numerator / denominator; null when the denominator is 0. */
  weightedMean: finite.nullable(),
  interactionTerms: z.array(InteractionTermExplanation),
  /** Sum of the applied interaction terms. */
  interactionTotal: finite,
  /** weightedMean + interactionTotal, before clipping. */
  beforeClip: finite.nullable(),
  /** beforeClip clipped to [floor, 1]. */
  afterInteractions: finite.nullable(),
  shaping: Shaping.nullable(),
  /** afterInteractions shaped (equal to it without shaping), clipped to [floor, 1]. */
  afterShaping: finite.nullable(),
  vetoesFired: z.array(z.string()),
  floor: finite,
});
export type RewardExplanation = z.infer<typeof RewardExplanation>;

export const ScoredReward = z.strictObject({
  status: z.literal('scored'),
  /** In [floor, 1]; the floor when a veto fired. */
  value: finite,
  explanation: RewardExplanation,
});
export type ScoredReward = z.infer<typeof ScoredReward>;

/** Left out of the group baseline and the loss; never read as 0. */
export const UnscorableReward = z.strictObject({
  status: z.literal('unscorable'),
  reason: z.string(),
  explanation: RewardExplanation,
});
export type UnscorableReward = z.infer<typeof UnscorableReward>;

export const Reward = z.discriminatedUnion('status', [ScoredReward, UnscorableReward]);
export type Reward = z.infer<typeof Reward>;
