/**
 * Dynamic sampling (DAPO; `rl.dynamicSampling`) as the step workflow, the activities and the metrics
 * share it: what a batch's rewards say about its groups' variance, when the step draws another
 * refill round, and what the step records. Pure rules, declared once. Workflow-safe: no imports.
 */

/**
 * One batch of a training step as dynamic sampling sees it; the rewards activity answers it beside
 * a batch's rewards when the stage has `rl.dynamicSampling` (absent otherwise, so runs without it
 * take exactly the path they took before).
 */
export interface BatchVariance {
  /** Groups in the batch, and those whose rewards vary (they carry advantages). */
  groups: number;
  withVariance: number;
  /** Groups with variance a step trains on (`rl.promptsPerStep`). */
  wanted: number;
  /** Refill rounds the step may run: `maxRounds`, fewer when the stage's prompts run out. */
  maxRounds: number;
}

/** True while the step should draw another refill round: too few groups vary and rounds are left. */
export function wantsRefill(options: {
  kept: number;
  wanted: number;
  roundsDone: number;
  maxRounds: number;
}): boolean {
  return options.kept < options.wanted && options.roundsDone < options.maxRounds;
}

/** What dynamic sampling did in a step: the step's metrics `dynamic_sampling/*`. */
export interface DynamicSamplingOutcome {
  /** Refill rounds run (0: the planned batch had enough, or no round was left). */
  rounds: number;
  /** Groups sampled and judged over every round, the planned ones included. */
  groupsDrawn: number;
  /** Of those, groups with reward variance. */
  groupsWithVariance: number;
  /** Groups with variance in the trained batch: at most `wanted`; below it when the bound was hit. */
  groupsKept: number;
  wanted: number;
  /** Share of the planned batch's groups with zero variance, before any refill. */
  zeroVarianceBefore: number;
}

/** The outcome of a step from its rounds' variance (round 0 first). */
export function dynamicSamplingOutcome(rounds: readonly BatchVariance[]): DynamicSamplingOutcome {
  const first = rounds[0];
  if (first === undefined) throw new Error('dynamic sampling needs the planned batch (round 0)');
  const groupsDrawn = rounds.reduce((n, r) => n + r.groups, 0);
  const groupsWithVariance = rounds.reduce((n, r) => n + r.withVariance, 0);
  return {
    rounds: rounds.length - 1,
    groupsDrawn,
    groupsWithVariance,
    groupsKept: Math.min(groupsWithVariance, first.wanted),
    wanted: first.wanted,
    zeroVarianceBefore: first.groups === 0 ? 0 : (first.groups - first.withVariance) / first.groups,
  };
}
