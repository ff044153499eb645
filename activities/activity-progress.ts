/**
 * What the long activities of a step put in their heartbeat details: enough for a retried attempt
 * to resume (rollouts) and for `anchorage train` to draw progress from the server's view.
 */
import { Address } from '../src/store/address.ts';

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

/** The groups an earlier attempt recorded; anything malformed or from another plan is ignored. */
export function parseRolloutProgress(details: unknown, total: number): Map<number, string> {
  const out = new Map<number, string>();
  if (typeof details !== 'object' || details === null) return out;
  const { total: t, groups } = details as Partial<RolloutProgress>;
  if (t !== total || typeof groups !== 'object' || groups === null) return out;
  for (const [k, v] of Object.entries(groups)) {
    const index = Number(k);
    if (Number.isInteger(index) && index >= 0 && index < total && Address.safeParse(v).success)
      out.set(index, v);
  }
  return out;
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
