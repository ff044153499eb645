import type { ResolvedRubric } from '../rubric/resolve.ts';
import { lexiconMatcher } from '../rubric/verifiers/text/lexicon.ts';
import { LexiconRateParams, lexiconRate } from '../rubric/verifiers/text/lexicon-rate.ts';
import { wordTokens } from '../rubric/verifiers/text/tokens.ts';

/** A rate to measure: hits of some lexicons (minus others) per 1,000 words. */
export interface LexiconMeasure {
  readonly id: string;
  readonly label: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/**
 * The `text.lexicon-rate` criteria of a rubric as measures, in the rubric's order: the same lists
 * and exclusions the rubric rewards, counted by the same matcher.
 */
export function rubricLexiconMeasures(rubric: ResolvedRubric): LexiconMeasure[] {
  return rubric.criteria.flatMap((c) => {
    if (c.evaluator.type !== 'verifier' || c.evaluator.name !== lexiconRate.name) return [];
    const params = LexiconRateParams.parse(c.evaluator.params);
    const include = typeof params.lexicon === 'string' ? [params.lexicon] : params.lexicon;
    return [{ id: c.id, label: c.description, include, exclude: params.exclude }];
  });
}

/**
 * One measure counting the entries of several together: at each word the longest entry of any
 * of them counts once, so an entry on two lists is not counted twice.
 */
export function unionMeasure(options: {
  id: string;
  label: string;
  of: readonly LexiconMeasure[];
}): LexiconMeasure {
  const unique = (names: readonly string[]) => [...new Set(names)];
  return {
    id: options.id,
    label: options.label,
    include: unique(options.of.flatMap((m) => m.include)),
    exclude: unique(options.of.flatMap((m) => m.exclude)),
  };
}

/** Words of a text and lexicon hits per measure. */
export interface MeasuredText {
  words: number;
  hits: Record<string, number>;
}

/** Counts words (the verifiers' definition) and each measure's hits in one text. */
export function measureText(options: { text: string; measures: readonly LexiconMeasure[] }): MeasuredText {
  const tokens = wordTokens(options.text);
  const hits: Record<string, number> = {};
  for (const m of options.measures) {
    hits[m.id] = lexiconMatcher({ include: m.include, exclude: m.exclude }).match(tokens).length;
  }
  return { words: tokens.length, hits };
}

/** Hits per 1,000 words; null without words. */
export function per1kWords(options: { hits: number; words: number }): number | null {
  return options.words === 0 ? null : (options.hits * 1000) / options.words;
}

/**
 * Rates pooled over texts: all hits per 1,000 of all words, so a long answer weighs by its length
 * (as the slop-score leaderboard pools a model's texts). Null for a measure when there are no words.
 */
export function pooledRates(options: {
  texts: readonly MeasuredText[];
  measures: readonly LexiconMeasure[];
}): Record<string, number | null> {
  const words = options.texts.reduce((n, t) => n + t.words, 0);
  const out: Record<string, number | null> = {};
  for (const m of options.measures) {
    const hits = options.texts.reduce((n, t) => n + (t.hits[m.id] ?? 0), 0);
    out[m.id] = per1kWords({ hits, words });
  }
  return out;
}
