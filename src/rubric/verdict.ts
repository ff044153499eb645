import { z } from 'zod';

/**
 * One of the answers a judge asked several times (`samples` > 1 in its config) gave for a criterion:
 * the tier it chose, or why it could not grade. Kept in the criterion's verdict so a user sees them.
 */
export const VerdictSample = z.discriminatedUnion('status', [
  z.strictObject({
    status: z.literal('scored'),
    tierScore: z.number().finite(),
    tierLabel: z.string(),
    reason: z.string(),
  }),
  z.strictObject({ status: z.literal('unscorable'), reason: z.string() }),
]);
export type VerdictSample = z.infer<typeof VerdictSample>;

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
  /** A judge asked several times: every sample, in order (the score is their scored mean). */
  samples: z.array(VerdictSample).optional(),
});
export type ScoredVerdict = z.infer<typeof ScoredVerdict>;

export const UnscorableVerdict = z.strictObject({
  criterionId: z.string(),
  status: z.literal('unscorable'),
  reason: z.string(),
  evaluator: z.string(),
  /** A judge asked several times: every sample, in order (none of them scored). */
  samples: z.array(VerdictSample).optional(),
});
export type UnscorableVerdict = z.infer<typeof UnscorableVerdict>;

export const Verdict = z.discriminatedUnion('status', [ScoredVerdict, UnscorableVerdict]);
export type Verdict = z.infer<typeof Verdict>;
