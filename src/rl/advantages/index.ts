export {
  drGrpo,
  grpo,
  reinforcePlusPlus,
  reinforcePlusPlusBaseline,
  rloo,
} from './estimators.ts';
export {
  AdvantageRegistry,
  computeAdvantages,
  defaultAdvantageRegistry,
  getAdvantageEstimator,
  listAdvantageEstimators,
  registerAdvantageEstimator,
} from './registry.ts';
export type { AdvantageEstimator, AdvantageInput, AdvantageResult, GroupSummary } from './types.ts';
