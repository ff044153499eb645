/**
 * The RL settings a running run may change by signal (`anchorage resume <run> --set name=value`):
 * declared once here, for the workflow (which merges them), the trainer (which applies them) and the
 * CLI (which parses them). Workflow-safe: no imports.
 */
export const RL_OVERRIDE_KEYS = [
  'learningRate',
  'klCoefficient',
  'clipLow',
  'clipHigh',
  'maxGradNorm',
  'weightDecay',
  'entropyCoefficient',
] as const;

export type RlOverrideKey = (typeof RL_OVERRIDE_KEYS)[number];

/** Changes to a run's RL settings sent by signal; they last for the run. */
export type RlOverrides = { [K in RlOverrideKey]?: number };

export function isRlOverrideKey(name: string): name is RlOverrideKey {
  return (RL_OVERRIDE_KEYS as readonly string[]).includes(name);
}
