import { z } from 'zod';
import type { Verdict } from '../verdict.ts';

/**
 * How much a judge asked several times for one criterion (`samples` > 1) disagrees with itself.
 * Scores are normalised by the criterion's top tier score (x = score / top, in [0, 1]), so criteria
 * with different scales compare. Only criteria with at least two scored samples are compared;
 * unscorable samples say nothing about agreement.
 */

/** One criterion's samples compared. */
export interface CriterionDisagreement {
  /** The scored samples are not all equal. */
  disagree: boolean;
  /** (max - min) / top score, in [0, 1]. */
  spread: number;
  /** Population standard deviation of the normalised scores. */
  std: number;
}

/** The comparison of one criterion's scored sample scores; undefined with fewer than two. */
export function criterionDisagreement(options: {
  scores: readonly number[];
  topScore: number;
}): CriterionDisagreement | undefined {
  const { scores, topScore } = options;
  if (scores.length < 2) return undefined;
  if (!(topScore > 0)) throw new RangeError(`criterionDisagreement: a positive top score, got ${topScore}`);
  const x = scores.map((s) => s / topScore);
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
  const min = Math.min(...scores);
  const max = Math.max(...scores);
  return { disagree: max !== min, spread: (max - min) / topScore, std: Math.sqrt(variance) };
}

const count = z.number().int().nonnegative();

/**
 * Sums over compared criteria, which add across groups, shards and rounds (`mergeDisagreement`);
 * rates come from them at the end (`disagreementRates`).
 */
export const DisagreementTally = z.strictObject({
  /** Criterion verdicts with at least two scored samples. */
  compared: count,
  /** Of those, the ones whose samples are not all equal. */
  disagreeing: count,
  /** Sum of their normalised spreads. */
  spreadSum: z.number().nonnegative(),
  /** Sum of their normalised standard deviations. */
  stdSum: z.number().nonnegative(),
  /** The same two counts by criterion id. */
  byCriterion: z.record(z.string(), z.strictObject({ compared: count, disagreeing: count })),
});
export type DisagreementTally = z.infer<typeof DisagreementTally>;

/**
 * The tally of some verdicts, each with its criterion's top score: a verdict that carries samples
 * (a judge asked several times) with two or more scored is compared; the rest add nothing.
 */
export function tallyDisagreement(
  verdicts: readonly { verdict: Verdict; topScore: number }[],
): DisagreementTally {
  let compared = 0;
  let disagreeing = 0;
  let spreadSum = 0;
  let stdSum = 0;
  const byCriterion: Record<string, Counts> = {};
  for (const { verdict, topScore } of verdicts) {
    const scores = (verdict.samples ?? []).flatMap((s) => (s.status === 'scored' ? [s.tierScore] : []));
    const d = criterionDisagreement({ scores, topScore });
    if (d === undefined) continue;
    compared++;
    spreadSum += d.spread;
    stdSum += d.std;
    const entry = countsOf(byCriterion, verdict.criterionId);
    entry.compared++;
    if (d.disagree) {
      disagreeing++;
      entry.disagreeing++;
    }
  }
  return { compared, disagreeing, spreadSum, stdSum, byCriterion };
}

type Counts = { compared: number; disagreeing: number };

/** The counts of `id` in `byCriterion`, added at 0 when absent. */
function countsOf(byCriterion: Record<string, Counts>, id: string): Counts {
  const existing = byCriterion[id];
  if (existing !== undefined) return existing;
  const fresh = { compared: 0, disagreeing: 0 };
  byCriterion[id] = fresh;
  return fresh;
}

/** Several tallies (groups, shards, rounds) as one. */
export function mergeDisagreement(tallies: readonly DisagreementTally[]): DisagreementTally {
  const byCriterion: Record<string, Counts> = {};
  for (const t of tallies) {
    for (const [id, c] of Object.entries(t.byCriterion)) {
      const entry = countsOf(byCriterion, id);
      entry.compared += c.compared;
      entry.disagreeing += c.disagreeing;
    }
  }
  return {
    compared: tallies.reduce((a, t) => a + t.compared, 0),
    disagreeing: tallies.reduce((a, t) => a + t.disagreeing, 0),
    spreadSum: tallies.reduce((a, t) => a + t.spreadSum, 0),
    stdSum: tallies.reduce((a, t) => a + t.stdSum, 0),
    byCriterion,
  };
}

/** What a tally says, as rates over the compared criteria. */
export interface DisagreementRates {
  compared: number;
  /** Share of compared criteria whose samples disagree. */
  disagreementRate: number;
  /** Mean normalised spread (max - min) / top. */
  meanSpread: number;
  /** Mean standard deviation of the normalised sample scores. */
  meanStd: number;
  /** Disagreement rate by criterion id: which criteria the judge is unsure about. */
  byCriterion: Record<string, number>;
}

/** The rates of a tally; undefined when nothing was compared (no rate exists, not a 0). */
export function disagreementRates(tally: DisagreementTally): DisagreementRates | undefined {
  if (tally.compared === 0) return undefined;
  const byCriterion: Record<string, number> = {};
  for (const [id, c] of Object.entries(tally.byCriterion)) {
    if (c.compared > 0) byCriterion[id] = c.disagreeing / c.compared;
  }
  return {
    compared: tally.compared,
    disagreementRate: tally.disagreeing / tally.compared,
    meanSpread: tally.spreadSum / tally.compared,
    meanStd: tally.stdSum / tally.compared,
    byCriterion,
  };
}
