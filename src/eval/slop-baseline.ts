import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';

/**
 * The slop-score leaderboard's rates for its human baseline and 22 models, copied from
 * sam-paech/slop-score (MIT; see NOTICE and data/style/README.md): hits of its word list and its
 * trigram list per 1,000 words of creative writing.
 */
export const SLOP_BASELINE_FILE = resolve(import.meta.dirname, '../../data/style/slop-score-baseline.json');

const Rates = {
  slopWordsPer1kWords: z.number().finite().nonnegative(),
  slopTrigramsPer1kWords: z.number().finite().nonnegative(),
};

export const SlopBaseline = z.strictObject({
  source: z.string(),
  measure: z.string(),
  human: z.strictObject({
    label: z.string(),
    samples: z.number().int().positive(),
    chars: z.number().int().positive(),
    ...Rates,
  }),
  models: z
    .array(z.strictObject({ model: z.string(), samples: z.number().int().positive(), ...Rates }))
    .min(1),
});
export type SlopBaseline = z.infer<typeof SlopBaseline>;
export type SlopRate = keyof typeof Rates;

export function readSlopBaseline(file: string = SLOP_BASELINE_FILE): SlopBaseline {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ValidationError(`cannot read the slop baseline: ${(cause as Error).message}`, {
      location: { file },
    });
  }
  const parsed = SlopBaseline.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(issue.message, {
      location: { file, field: formatFieldPath(issue.path as PropertyKey[]) },
    });
  }
  return parsed.data;
}

/** Smallest, median and largest of some values (the median of an even count is the mean of the middle two). */
export function spread(values: readonly number[]): { min: number; median: number; max: number } {
  if (values.length === 0) throw new ValidationError('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}
