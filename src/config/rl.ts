import { z } from 'zod';
import { listAdvantageEstimators } from '../rl/advantages/registry.ts';
import { aggregations } from '../rl/losses/aggregations.ts';
import { klEstimators } from '../rl/losses/kl-estimators.ts';
import { policyLosses } from '../rl/losses/policy-losses.ts';

/** A name that must be registered: the message lists the registered ones. */
function registered(kinds: string, names: () => string[]) {
  return z.string().superRefine((name, ctx) => {
    if (!names().includes(name))
      ctx.addIssue({ code: 'custom', message: `one of the registered ${kinds}: ${names().join(', ')}` });
  });
}

/**
 * RL hyperparameters. Names of estimators, losses and aggregations are checked
 * against the registries in `src/rl`, so a typo fails before a run starts, listing the valid names.
 */
/**
 * DAPO's dynamic sampling (`rl.dynamicSampling`), off when absent: after a step's groups are judged
 * and rewarded, while fewer than `promptsPerStep` of them have reward variance, the step draws
 * `promptsPerRound` more prompts from the stage's pool (never one it used already: a pure function of
 * the run seed, the step and the round, src/train/refill-prompts.ts), samples, judges and rewards
 * them, for at most `maxRounds` rounds; it then trains on the first `promptsPerStep` groups with
 * variance (fewer when the bound is hit; metrics `dynamic_sampling/*`).
 */
export const DynamicSampling = z.strictObject({
  /** Refill rounds per step at most; 0 records the metrics without refilling. */
  maxRounds: z.number().int().min(0).max(64),
  /** Prompts drawn per refill round (default: `rl.promptsPerStep`). */
  promptsPerRound: z.number().int().min(1).max(100_000).optional(),
});
export type DynamicSampling = z.infer<typeof DynamicSampling>;

export const RlSettings = z.strictObject({
  /** Responses sampled per prompt (G). */
  groupSize: z.number().int().min(2).max(1024).default(8),
  promptsPerStep: z.number().int().min(1).max(100_000).default(8),
  learningRate: z.number().positive().max(1).default(5e-5),
  /** Ratio clipped to [1 - clipLow, 1 + clipHigh] (clip-higher: clipHigh > clipLow). */
  clipLow: z.number().gt(0).lt(1).default(0.2),
  clipHigh: z.number().gt(0).max(10).default(0.28),
  /**
   * `loss: gspo` clips its sequence-level ratio to [1 - gspoClipLow, 1 + gspoClipHigh]. The defaults
   * are the clip ranges the method's authors report (3e-4 and 4e-4): a length-normalised sequence
   * ratio stays far closer to 1 than a token ratio, so PPO's 0.2 would never clip.
   */
  gspoClipLow: z.number().gt(0).lt(1).default(3e-4),
  gspoClipHigh: z.number().gt(0).max(10).default(4e-4),
  /** KL to the reference policy (the base model, LoRA off); 0 turns it off. */
  klCoefficient: z.number().min(0).default(0),
  klEstimator: registered('KL estimators', () => klEstimators.names()).default('k3'),
  advantage: registered('advantage estimators', listAdvantageEstimators).default('grpo'),
  loss: registered('policy losses', () => policyLosses.names()).default('clipped-ratio'),
  lossAggregation: registered('loss aggregations', () => aggregations.names()).default('token-mean'),
  entropyCoefficient: z.number().min(0).default(0),
  /** Leave out groups whose rewards are all equal: they carry no advantage. */
  dropZeroVarianceGroups: z.boolean().default(true),
  /**
   * Refill the batch for the groups left out (DAPO's dynamic sampling, `DynamicSampling` above), e.g.
   * `{ maxRounds: 3 }`; absent: off, a step trains on the groups it drew. Needs
   * `dropZeroVarianceGroups` (`dynamicSamplingProblem`, checked with the run's configuration).
   */
  dynamicSampling: DynamicSampling.optional(),
  /**
   * Overlong handling (DAPO, src/rl/overlong.ts), off by default. A penalty added to the rewards of
   * responses longer than maxNewTokens - overlongBufferTokens, falling linearly to
   * -overlongPenaltyFactor at maxNewTokens (0 tokens: off; DAPO's factor is 1 on rewards in
   * [-1, 1]). `maskTruncated` leaves answers cut off at maxNewTokens out of the loss (they stay in
   * their group's baseline).
   */
  overlongBufferTokens: z.number().int().min(0).max(32_768).default(0),
  overlongPenaltyFactor: z.number().min(0).max(100).default(1),
  maskTruncated: z.boolean().default(false),
  temperature: z.number().gt(0).max(5).default(1),
  topP: z.number().gt(0).max(1).default(1),
  maxNewTokens: z.number().int().min(1).max(32_768).default(256),
  /**
   * One response of each group decoded greedily (the answer a greedy evaluation gives), the other
   * G - 1 sampled at `temperature`. The greedy answer then earns its own advantage: a greedy loop that
   * sampled answers never show (so never learn away) is scored and pushed down where evaluation sees it.
   */
  greedyMember: z.boolean().default(false),
  /**
   * Optimizer steps per training step: the step's responses are split into this many mini-batches
   * (in order, so groups stay mostly whole), one AdamW step each. Later mini-batches meet a policy
   * the earlier ones moved; the clipped ratio bounds how far. 1: one step on the whole batch.
   */
  miniBatches: z.number().int().min(1).max(256).default(1),
  /** Global gradient-norm clip; AdamW's decoupled weight decay. */
  maxGradNorm: z.number().positive().default(1),
  weightDecay: z.number().min(0).default(0),
});
export type RlSettings = z.infer<typeof RlSettings>;

/**
 * What a stage's (merged) RL settings must be instead, when they are wrong as a pair: dynamic
 * sampling refills the zero-variance groups that `dropZeroVarianceGroups` leaves out, so it needs it.
 */
export function dynamicSamplingProblem(rl: {
  dynamicSampling?: DynamicSampling | undefined;
  dropZeroVarianceGroups?: boolean | undefined;
}): string | undefined {
  if (rl.dynamicSampling === undefined || rl.dropZeroVarianceGroups !== false) return undefined;
  return 'dropZeroVarianceGroups: true with dynamicSampling (it refills the zero-variance groups that dropping leaves out), or no dynamicSampling';
}

/** The same fields, all optional and without defaults: a stage's changes to the run's settings. */
export const RlOverrides = z.strictObject(withoutDefaults(RlSettings.shape)) as unknown as z.ZodType<
  Partial<RlSettings>,
  Partial<z.input<typeof RlSettings>>
>;

/** Each field of a shape made optional, with its default (if any) removed. */
export function withoutDefaults(shape: Record<string, z.ZodType>): Record<string, z.ZodType> {
  return Object.fromEntries(
    Object.entries(shape).map(([key, schema]) => [
      key,
      (schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema).optional(),
    ]),
  );
}
