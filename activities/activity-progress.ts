import type { RolloutProgress } from '../src/contracts/activity-progress.ts';
import { Address } from '../src/store/address.ts';

/**
 * The groups an earlier rollout attempt recorded in its heartbeat details (their shape:
 * src/contracts/activity-progress.ts); anything malformed or from another plan is ignored.
 */
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
