import { z } from 'zod';
import { Address } from '../store/address.ts';
import { ValidationError } from '../util/errors.ts';

/** Linear-interpolation quantile of sorted values (the usual "type 7" definition). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new ValidationError('quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Data selection: keep the prompts whose mean reward lies in the central band
 * [quantile(lower), quantile(upper)] of all prompts' means, so training sees neither solved nor
 * hopeless prompts. A band edge that coincides with the lowest (highest) mean observed is exclusive:
 * a pile of prompts all at the bottom (top) score are the hopeless (solved) ones the selection is
 * for, and an inclusive edge would keep them all. Prompts without a scored response have no mean
 * and are left out.
 */
export function selectByQuantile(options: {
  means: ReadonlyArray<{ promptId: string; mean: number | null }>;
  lowerQuantile: number;
  upperQuantile: number;
}): { kept: string[]; lower: number | null; upper: number | null } {
  const scored = options.means.filter((m): m is { promptId: string; mean: number } => m.mean !== null);
  if (scored.length === 0) return { kept: [], lower: null, upper: null };
  const sorted = scored.map((m) => m.mean).sort((a, b) => a - b);
  const lower = quantile(sorted, options.lowerQuantile);
  const upper = quantile(sorted, options.upperQuantile);
  const min = sorted[0]!;
  const max = sorted.at(-1)!;
  const kept = scored
    .filter(
      ({ mean }) =>
        (lower === min ? mean > lower : mean >= lower) && (upper === max ? mean < upper : mean <= upper),
    )
    .map((m) => m.promptId);
  return { kept, lower, upper };
}

/** The outcome of a data selection for one stage: the prompts its steps draw from. */
export const SelectionRecord = z.strictObject({
  format: z.literal('anchorage.selection/1'),
  stage: z.string(),
  /** First step of the stage (1-based). */
  step: z.number().int().positive(),
  rewards: Address,
  /** Prompts scored, and kept (ids, in the stage's order). */
  scored: z.number().int(),
  kept: z.array(z.string()),
  lower: z.number().nullable(),
  upper: z.number().nullable(),
  /** Set when too few prompts fell in the band and the stage trains on all of them instead. */
  fallback: z.string().optional(),
});
export type SelectionRecord = z.infer<typeof SelectionRecord>;
