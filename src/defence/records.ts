import { z } from 'zod';
import { Decision } from '../rubric-authoring/review-decisions.ts';
import { Address } from '../store/address.ts';
import { Finding } from './findings.ts';

/**
 * The records of adaptive defence in the run's store (ref names: refs.ts): a step's monitor record,
 * the proposals of the review queue and their decisions, and the defence set each training step
 * applies.
 */

/** What the monitor found in one training step; committed once (a retry reads it back). */
export const MonitorRecord = z.strictObject({
  format: z.literal('anchorage.monitor/1'),
  trainRunId: z.string(),
  step: z.number().int().positive(),
  rollouts: Address,
  rewards: Address,
  /**
   * Signal values of the step (length_mean, length_p90, repetition, outlier_fraction, ...); one that
   * could not be measured (judge_disagreement_fraction without judge samples) is absent.
   */
  signals: z.record(z.string(), z.number()),
  /** Signals rising at this step, and those whose rise began here. */
  trends: z.array(z.string()),
  onsets: z.array(z.string()),
  findings: z.array(Finding),
  /** Proposals this step added to the review queue (ids). */
  proposed: z.array(z.string()),
  /** `monitor/*` and `defence/*` keys for the step's metrics. */
  metrics: z.record(z.string(), z.number()),
  /**
   * What the monitor's judge requests spent (judged monitor criteria, LLM-written proposals); absent
   * in records written before the run's judge budget counted them.
   */
  judgeUsage: z
    .strictObject({ requests: z.number().int().nonnegative(), tokens: z.number().nonnegative() })
    .optional(),
});
export type MonitorRecord = z.infer<typeof MonitorRecord>;

/** A proposed defence criterion in the review queue. */
export const DefenceProposal = z.strictObject({
  format: z.literal('anchorage.defence-proposal/1'),
  id: z.string(),
  trainRunId: z.string(),
  /** The step whose monitor proposed it: it can apply from step + 1. */
  step: z.number().int().positive(),
  finding: Finding,
  reason: z.string(),
  /** Answers that showed it (shortened), for the reviewer. */
  examples: z.array(z.string()),
  /** A rubric file's fields (checked by the rubric schema when it is applied). */
  rubric: z.record(z.string(), z.unknown()),
  proposer: z.strictObject({
    kind: z.enum(['template', 'llm']),
    model: z.string().optional(),
    /** Why the LLM's proposal was not used (the template's was). */
    fallback: z.string().optional(),
  }),
});
export type DefenceProposal = z.infer<typeof DefenceProposal>;

/** A reviewer's decision on a proposal (the decision of src/rubric-authoring's review). */
export const DefenceDecision = z.strictObject({
  format: z.literal('anchorage.defence-decision/1'),
  proposal: z.string(),
  ...Decision.shape,
});
export type DefenceDecision = z.infer<typeof DefenceDecision>;

/** The defence rubrics a training step applies, fixed when the step is first planned. */
export const StepDefence = z.strictObject({
  format: z.literal('anchorage.step-defence/1'),
  trainRunId: z.string(),
  step: z.number().int().positive(),
  applied: z.array(
    z.strictObject({
      proposal: z.string(),
      address: Address,
      /** `accepted` by a reviewer, or `auto` (defence.adaptive.autoApply). */
      how: z.enum(['accepted', 'auto']),
    }),
  ),
});
export type StepDefence = z.infer<typeof StepDefence>;
