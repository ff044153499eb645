/**
 * Reward aggregation: verdicts per criterion -> one reward with an
 * explanation. Each step is its own pure function; `aggregateReward` chains them for one response,
 * `aggregateRewards` for a batch.
 */
export { aggregateReward, aggregateWithPlan } from './aggregate-reward.ts';
export { aggregateRewards } from './aggregate-rewards.ts';
export { clipReward } from './clip.ts';
export { type Coverage, checkCoverage } from './coverage.ts';
export { NonFiniteRewardError } from './finite.ts';
export { formatReward } from './format-reward.ts';
export {
  INTERACTION_FUNCTIONS,
  type InteractionFn,
  interactionFunction,
  interactionTerm,
} from './interaction.ts';
export { matchVerdicts } from './match-verdicts.ts';
export { normaliseScore } from './normalise.ts';
export { type AggregationPlan, compileAggregation } from './plan.ts';
export {
  CriterionExplanation,
  InteractionTermExplanation,
  Reward,
  RewardExplanation,
  ScoredReward,
  UnscorableReward,
} from './reward-schema.ts';
export { saturate, saturationFor } from './saturation.ts';
export { checkShaping, SHAPING_RULES, type ShapingRule, shapeReward, shapingRule } from './shaping.ts';
export { vetoFires } from './veto.ts';
export { type WeightedMean, weightedMean } from './weighted-mean.ts';
