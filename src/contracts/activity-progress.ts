/**
 * What the long activities of a step put in their heartbeat details: enough for a retried attempt
 * to resume (rollouts) and for `anchorage train` to draw progress from the server's view. Declared
 * here for the activities that write them and the client that reads them. Workflow-safe: type
 * imports only.
 */

import type { JudgeUsage } from './judge-budget.ts';

/**
 * Heartbeat details of the rollout activity: the groups already in the store, by index (a retried
 * attempt keeps them), and how far decoding of the groups in flight has got (for progress bars).
 */
export interface RolloutProgress {
  total: number;
  groups: Record<string, string>;
  decoding?: { groups: number; step: number; maxSteps: number };
}

/** Heartbeat details of the policy update: micro-batches through the training graph so far. */
export interface UpdateProgress {
  microBatches?: { done: number; total: number };
}

/**
 * Heartbeat details of an evaluation suite: answers (or scored text chunks) in its evaluation folder
 * so far, resumed ones included.
 */
export interface SuiteProgress {
  suite: string;
  done?: number;
  total?: number;
}

/**
 * Heartbeat details of a judge shard: groups judged so far and what its judge has spent (requests,
 * tokens), which a retried attempt counts as already spent.
 */
export interface JudgeShardProgress {
  shard: number;
  groupsDone: number;
  groups: number;
  usage: JudgeUsage;
}

/** Heartbeat details by activity name. */
export interface ActivityProgress {
  generateRollouts: RolloutProgress;
  updatePolicy: UpdateProgress;
  evaluateSuite: SuiteProgress;
  judgeRollouts: JudgeShardProgress;
}

/**
 * The fraction of the rollouts done, in [0, 1]: finished groups, plus the groups in flight weighted
 * by decode step over the token limit (sequences that stop early make it an under-estimate).
 */
export function rolloutFraction(progress: RolloutProgress): number {
  if (!(progress.total > 0)) return 0;
  const done = Object.keys(progress.groups ?? {}).length;
  const d = progress.decoding;
  const inFlight = d === undefined || !(d.maxSteps > 0) ? 0 : d.groups * Math.min(1, d.step / d.maxSteps);
  return Math.min(1, Math.max(0, (done + inFlight) / progress.total));
}
