import { z } from 'zod';
import { checkConstraintCounts, CONSTRAINT_GENERATOR_FIELDS } from './generator/generate.ts';

/**
 * Prompt sources as a run configuration lists them. Paths are resolved against the configuration
 * file's folder before the sources are read. `role` says what a source feeds: training, evaluation,
 * or both; prompts tagged `eval-only` (IFEval) can only feed evaluation.
 */
export const SourceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits and . _ - (starting with a letter or digit)');
export const SourceRole = z.enum(['train', 'eval', 'both']);
export type SourceRole = z.infer<typeof SourceRole>;

const common = {
  /** Used by `evaluation.sources`, `stages[].sources` and prompt selectors; default: the type. */
  name: SourceName.optional(),
  /** Keep only the first N prompts of the source. */
  limit: z.number().int().positive().optional(),
};

export const JsonlSource = z.strictObject({
  type: z.literal('jsonl'),
  ...common,
  file: z.string().min(1),
  /** Tags added to every prompt of the file. */
  tags: z.array(z.string().min(1)).default([]),
  role: SourceRole.default('train'),
});

export const IfevalSource = z.strictObject({
  type: z.literal('ifeval'),
  ...common,
  /** IFEval `input_data.jsonl`. */
  file: z.string().min(1),
  role: z
    .literal('eval', { error: 'eval (IFEval is a held-out benchmark: evaluation only)' })
    .default('eval'),
});

export const ArenaHardSource = z.strictObject({
  type: z.literal('arena-hard'),
  ...common,
  /** `arena-hard-v0.1_question.jsonl` or `arena-hard-v2.0_question.jsonl`. */
  file: z.string().min(1),
  /** Keep rows whose category or subcategory is listed (e.g. creative_writing, coding, math). */
  categories: z.array(z.string().min(1)).min(1).optional(),
  role: SourceRole.default('train'),
});

export const WritingBenchSource = z.strictObject({
  type: z.literal('writingbench'),
  ...common,
  /** Folder with the WritingBench subset files (`style_subset_v1.jsonl`, ...). */
  dir: z.string().min(1),
  subsets: z
    .array(z.enum(['style', 'format', 'length']))
    .min(1)
    .default(['style', 'format', 'length']),
  languages: z
    .array(z.enum(['en', 'zh']))
    .min(1)
    .optional(),
  role: SourceRole.default('train'),
});

export const ConstraintGeneratorSource = z
  .strictObject({
    type: z.literal('constraint-generator'),
    ...common,
    ...CONSTRAINT_GENERATOR_FIELDS,
    role: SourceRole.default('train'),
  })
  .superRefine(checkConstraintCounts);

export const PromptSourceConfig = z.discriminatedUnion('type', [
  JsonlSource,
  IfevalSource,
  ArenaHardSource,
  WritingBenchSource,
  ConstraintGeneratorSource,
]);
export type PromptSourceConfig = z.infer<typeof PromptSourceConfig>;

/** A source's name: its `name`, or its type. */
export function sourceName(source: PromptSourceConfig): string {
  return source.name ?? source.type;
}
