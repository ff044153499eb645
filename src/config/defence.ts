import { z } from 'zod';
import { RubricId } from '../rubric/schema.ts';

/**
 * Adaptive defence (`defence.adaptive`, off by default): after each training step a monitor scores
 * the step's rollouts with zero-weight monitor rubrics (in the metrics, never in the reward), looks
 * for signs of reward hacking (phrases whose frequency grows with reward, rising length or
 * repetition, high-reward answers the monitor rubrics fail or the judge's samples disagree on, text
 * addressed to the grader), flags the onset of each trend, and proposes defence criteria into the
 * run's review queue (`anchorage defence list|accept|reject`). A proposal applies from the first
 * step planned after it is accepted, or after it was proposed with `autoApply` (src/defence/).
 */
export const AdaptiveDefenceSettings = z.strictObject({
  enabled: z.boolean().default(false),
  /** Apply every proposal from the next step on without review (a rejected one stays out). */
  autoApply: z.boolean().default(false),
  /** Rubrics scored on every rollout for the monitor only (weight 0: not part of the reward). */
  monitorRubrics: z.array(RubricId).default(['defence/reward-hacking']),
  /** Steps a trend is measured over (the current one included). */
  window: z.number().int().min(2).max(50).default(3),
  /** Rise over the window that makes a trend: of a fraction (phrase frequency, repetition, outliers). */
  minRise: z.number().positive().max(1).default(0.1),
  /** Relative rise of the mean response length over the window that makes a trend. */
  minLengthRise: z.number().positive().default(0.25),
  /** Correlation of a phrase's presence with the reward (within prompt groups) that flags it. */
  minCorrelation: z.number().min(0).max(1).default(0.4),
  /** Responses a phrase or a failed monitor criterion must be seen in to be flagged. */
  minSupport: z.number().int().min(1).default(3),
  /** Longest phrase looked at, in words (or symbols). */
  maxPhraseWords: z.number().int().min(1).max(6).default(3),
  /** Weight of an applied defence rubric among a prompt's rubrics (its veto voids the reward anyway). */
  weight: z.number().positive().default(0.1),
  /** `auto`: the run's LLM judge writes the criterion where one is configured, rule templates otherwise. */
  proposer: z.enum(['auto', 'templates']).default('auto'),
});
export type AdaptiveDefenceSettings = z.infer<typeof AdaptiveDefenceSettings>;

export const DefenceSettings = z.strictObject({
  adaptive: AdaptiveDefenceSettings.prefault({}),
});
