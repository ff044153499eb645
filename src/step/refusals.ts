import { z } from 'zod';
import { Address, digestOf } from '../store/address.ts';
import type { ArtifactStore } from '../store/store.ts';
import { commitOnce } from './commit.ts';
import { PURPOSES, type Purpose, type StepKey } from '../contracts/step-refs.ts';
import { runRefs } from '../train/run-refs.ts';

/**
 * A step's computation refused because a number came out NaN or infinite: the policy update (loss,
 * gradient or updated adapters: `update`) or the rewards (`reward`). Nothing of that attempt was
 * committed; the record is the run's trace of it, beside the failure in the workflow history, and
 * the step's metrics count it (`refused/<kind>`) once the step commits.
 */
export const RefusalRecord = z.strictObject({
  format: z.literal('anchorage.refusal/1'),
  trainRunId: z.string(),
  step: z.number().int().nonnegative(),
  purpose: z.enum(PURPOSES),
  /** The refill round whose rewards were refused (dynamic sampling); absent: the step's own batch. */
  round: z.number().int().positive().optional(),
  kind: z.enum(['update', 'reward']),
  message: z.string(),
  /** The checkpoint the update started from (it stays the run's latest); updates only. */
  parent: Address.nullable().optional(),
  /** ISO time, which also keeps two refusals of the same step apart. */
  at: z.string(),
  worker: z.string(),
  diagnostics: z.record(z.string(), z.unknown()).optional(),
});
export type RefusalRecord = z.infer<typeof RefusalRecord>;

/**
 * Stores a refusal under `steps/step-<n>/refusals/<digest>` (a refill round's too, so the step's
 * metrics count it); returns its address.
 */
export async function recordRefusal(options: {
  store: ArtifactStore;
  refusal: RefusalRecord;
}): Promise<Address> {
  const { store, refusal } = options;
  const { address } = await store.putJson(RefusalRecord.parse(refusal));
  const key: StepKey = { trainRunId: refusal.trainRunId, step: refusal.step, purpose: refusal.purpose };
  await commitOnce({ store, ref: runRefs.refusal({ ...key, id: digestOf(address).slice(0, 16) }), address });
  return address;
}

/** How many refusals of each kind a step has recorded. */
export async function countRefusals(options: {
  store: ArtifactStore;
  trainRunId: string;
  step: number;
  purpose: Purpose;
}): Promise<Record<RefusalRecord['kind'], number>> {
  const { store, ...key } = options;
  const counts = { update: 0, reward: 0 };
  for (const { address } of await store.listRefs(runRefs.refusals(key))) {
    counts[(await store.getJson(address, RefusalRecord)).kind]++;
  }
  return counts;
}
