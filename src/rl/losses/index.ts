export { aggregations, SEQUENCE_MEAN, TOKEN_MEAN } from './aggregations.ts';
export { K1, K2, K3, klEstimators } from './kl-estimators.ts';
export {
  buildPolicyObjective,
  ENTROPY_COEF,
  KL_COEF,
  METRIC_NAMES,
  type MetricName,
  type ObjectiveTensors,
  objectiveHyperparameters,
  type PolicyObjective,
  PolicyObjectiveSchema,
  type ReferenceInputs,
  referencePolicyObjective,
} from './objective.ts';
export { GSPO, GSPO_CLIP_HIGH, GSPO_CLIP_LOW } from './gspo.ts';
export { CLIPPED_RATIO, POLICY_GRADIENT, policyLosses } from './policy-losses.ts';
export { NamedRegistry } from './registry.ts';
export type { AggregationDef, Hyperparameter, KlEstimatorDef, PolicyLossDef } from './types.ts';
