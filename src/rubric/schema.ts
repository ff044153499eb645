import { z } from 'zod';
import { textField } from './text-field.ts';

/**
 * Rubric files (YAML). A rubric is a set of weighted criteria, each with ordered score tiers (or
 * pass/fail) and an evaluator: a named programmatic verifier or an LLM judge. `aggregation` carries
 * the settings of the chain that turns verdicts into a reward (see rubric/aggregate/).
 */

const idPattern = /^[a-z0-9][a-z0-9._/-]*$/;
export const RubricId = z
  .string()
  .regex(idPattern, 'lower-case letters, digits and . _ / - (starting with a letter or digit)');
export const CriterionId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits and . _ - (starting with a letter or digit)');

export const Tier = z.strictObject({
  /** Raw score of this tier; tiers are normalised by the top tier's score. */
  score: z.number().finite().nonnegative(),
  label: textField({ min: 1 }),
  description: textField().default(''),
});
export type Tier = z.infer<typeof Tier>;

export const VerifierEvaluator = z.strictObject({
  type: z.literal('verifier'),
  /** Registry name, e.g. `ifeval.punctuation:no_comma` or `lexicon.rate`. */
  name: z.string().min(1),
  /** Checked by the verifier's own schema when the rubric is resolved. */
  params: z.record(z.string(), z.unknown()).default({}),
});
export type VerifierEvaluator = z.infer<typeof VerifierEvaluator>;

export const JudgeEvaluator = z.strictObject({
  type: z.literal('judge'),
  /** Extra guidance for the grader about this criterion, beyond its description and tiers. */
  guidance: textField().optional(),
});
export type JudgeEvaluator = z.infer<typeof JudgeEvaluator>;

export const Evaluator = z.discriminatedUnion('type', [VerifierEvaluator, JudgeEvaluator]);
export type Evaluator = z.infer<typeof Evaluator>;

export const Saturation = z.strictObject({
  /** Curvature a > 0 of x -> (1 - exp(-a x)) / (1 - exp(-a)). */
  a: z.number().finite().positive(),
});
export type Saturation = z.infer<typeof Saturation>;

export const Criterion = z
  .strictObject({
    id: CriterionId,
    description: textField({ min: 1 }),
    /** Positive weights reward; negative weights are penalties that subtract when met. */
    weight: z
      .number()
      .finite()
      .refine((w) => w !== 0, 'a non-zero number'),
    /** Ordered score tiers, lowest first. Omit with `passFail: true`. */
    tiers: z.array(Tier).min(2).optional(),
    passFail: z.boolean().optional(),
    kind: z.enum(['score', 'veto']).default('score'),
    /** For `kind: veto`: the veto fires when the normalised score is below this value. */
    vetoThreshold: z.number().min(0).max(1).optional(),
    /** Overrides the rubric's saturation for this criterion. */
    saturation: Saturation.optional(),
    evaluator: Evaluator,
  })
  .superRefine((c, ctx) => {
    if ((c.tiers === undefined) === (c.passFail !== true)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tiers'],
        message: 'either `tiers` (at least two) or `passFail: true`, not both and not neither',
      });
    }
    if (c.tiers !== undefined) {
      for (let i = 1; i < c.tiers.length; i++) {
        if (c.tiers[i]!.score <= c.tiers[i - 1]!.score) {
          ctx.addIssue({
            code: 'custom',
            path: ['tiers', i, 'score'],
            message: `tier scores strictly increasing (tier ${i - 1} has ${c.tiers[i - 1]!.score})`,
          });
        }
      }
      if ((c.tiers.at(-1)?.score ?? 0) <= 0) {
        ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'a top tier with a positive score' });
      }
    }
    if (c.kind === 'veto' && c.vetoThreshold === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['vetoThreshold'],
        message: 'a threshold in [0, 1] for a veto criterion',
      });
    }
    if (c.kind !== 'veto' && c.vetoThreshold !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['vetoThreshold'],
        message: 'no vetoThreshold unless kind is veto',
      });
    }
  });
export type Criterion = z.infer<typeof Criterion>;

export const Interaction = z.strictObject({
  a: CriterionId,
  b: CriterionId,
  /** b_ij: positive for synergy, negative for conflict. */
  coefficient: z.number().finite(),
  fn: z.enum(['min', 'product']).default('min'),
});
export type Interaction = z.infer<typeof Interaction>;

export const Shaping = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('power'), gamma: z.number().finite().positive() }),
  z.strictObject({
    type: z.literal('stretch'),
    /** Above this reward the slope becomes `slope`; the map stays continuous and ends at 1. */
    threshold: z.number().gt(0).lt(1),
    slope: z.number().finite().positive(),
  }),
]);
export type Shaping = z.infer<typeof Shaping>;

export const Aggregation = z.strictObject({
  /** Reward when a veto fires, and the lower clip of the reward. */
  floor: z.number().min(-1).max(1).default(0),
  saturation: Saturation.optional(),
  interactions: z.array(Interaction).default([]),
  shaping: Shaping.optional(),
  /** A response with fewer scored positive-weight criteria than this fraction is unscorable. */
  minScoredFraction: z.number().min(0).max(1).default(0.5),
});
export type Aggregation = z.infer<typeof Aggregation>;

export const RubricFile = z.strictObject({
  id: RubricId,
  version: z.number().int().positive(),
  title: textField({ min: 1 }),
  scope: z.enum(['dataset', 'task', 'instance']),
  tags: z.array(textField({ min: 1 })).default([]),
  /** Free-form provenance: where the rubric came from (human, LLM, importer with source). */
  source: textField().optional(),
  /** For instance rubrics: the prompt this rubric belongs to. */
  prompt: textField().optional(),
  /** Rubric ids whose criteria are added to this one's (for example the defence rubric). */
  include: z.array(RubricId).default([]),
  aggregation: Aggregation.default({ floor: 0, interactions: [], minScoredFraction: 0.5 }),
  criteria: z.array(Criterion).default([]),
});
export type RubricFile = z.infer<typeof RubricFile>;
