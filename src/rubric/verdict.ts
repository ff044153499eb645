import { z } from 'zod';

/**
 * The verdict on one criterion for one response. `unscorable` means the evaluator could not judge
 * (malformed judge reply, verifier not applicable); it is left out of the aggregate, never 0.
 */
export const ScoredVerdict = z.strictObject({
  criterionId: z.string(),
  status: z.literal('scored'),
  /** Raw tier score as written in the rubric (e.g. 0..10, or 0/1 for pass/fail). */
  tierScore: z.number().finite(),
  /** Label of the tier that was chosen. */
  tierLabel: z.string(),
  reason: z.string(),
  /** Which evaluator produced it: a verifier name or `judge:<model>`. */
  evaluator: z.string(),
});
export type ScoredVerdict = z.infer<typeof ScoredVerdict>;

export const UnscorableVerdict = z.strictObject({
  criterionId: z.string(),
  status: z.literal('unscorable'),
  reason: z.string(),
  evaluator: z.string(),
});
export type UnscorableVerdict = z.infer<typeof UnscorableVerdict>;

export const Verdict = z.discriminatedUnion('status', [ScoredVerdict, UnscorableVerdict]);
export type Verdict = z.infer<typeof Verdict>;
