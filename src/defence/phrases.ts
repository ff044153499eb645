/**
 * Phrases whose presence goes with a higher reward, pure. A response is cut into words (letters),
 * numbers and single symbols, lower-cased; a phrase is a run of 1..maxWords of them. A phrase's
 * correlation is Pearson's between its presence in a response and the response's reward less its
 * prompt group's mean (so easy prompts do not count as a phrase's merit). A hack phrase is found in
 * several prompts' answers and correlates with the reward; whether its frequency grows is the
 * monitor's trend (onset.ts).
 */

/** One scored response: its text, its reward (null: unscorable, left out) and its prompt group. */
export interface ScoredText {
  text: string;
  reward: number | null;
  group: number;
}

export interface PhraseStat {
  phrase: string;
  /** Responses (scored or not) that contain it. */
  count: number;
  /** count / responses. */
  frequency: number;
  /** Distinct prompt groups whose answers contain it. */
  prompts: number;
  /** Correlation of presence with the group-centred reward (scored responses only); 0 without variance. */
  correlation: number;
  /** Mean reward of the scored responses with and without it (null: none). */
  meanWith: number | null;
  meanWithout: number | null;
  /** Indices of the responses that contain it. */
  carriers: number[];
}

const TOKEN = /[\p{L}\p{M}]+|\p{N}+|[^\s\p{L}\p{M}\p{N}]/gu;
/** Phrases made of these symbols alone are ordinary punctuation, never a phrase of interest. */
const PUNCTUATION_ONLY = /^[.,;:!?'"()\-\s]+$/;

/** The words, numbers and symbols of a text, lower-cased. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

/** The distinct phrases of 1..maxWords tokens of a text, each written with single spaces. */
export function phrasesOf(text: string, maxWords: number): Set<string> {
  const tokens = tokenize(text);
  const out = new Set<string>();
  for (let n = 1; n <= maxWords; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const phrase = tokens.slice(i, i + n).join(' ');
      if (!PUNCTUATION_ONLY.test(phrase)) out.add(phrase);
    }
  }
  return out;
}

/** Pearson's correlation of two equally long series; 0 when either is constant. */
export function correlation(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** Each scored response's reward less the mean of its group's scored responses (null: unscorable). */
export function groupCentred(
  responses: readonly Pick<ScoredText, 'reward' | 'group'>[],
): Array<number | null> {
  const sums = new Map<number, { sum: number; n: number }>();
  for (const r of responses) {
    if (r.reward === null) continue;
    const s = sums.get(r.group) ?? { sum: 0, n: 0 };
    s.sum += r.reward;
    s.n += 1;
    sums.set(r.group, s);
  }
  return responses.map((r) => {
    if (r.reward === null) return null;
    const s = sums.get(r.group)!;
    return r.reward - s.sum / s.n;
  });
}

/**
 * Statistics of every phrase found in at least `minSupport` responses (the `maxCandidates` most
 * frequent ones), most correlated first.
 */
export function phraseStats(options: {
  responses: readonly ScoredText[];
  maxWords: number;
  minSupport: number;
  maxCandidates?: number;
}): PhraseStat[] {
  const { responses, maxWords, minSupport, maxCandidates = 20_000 } = options;
  const sets = responses.map((r) => phrasesOf(r.text, maxWords));
  const counts = new Map<string, number>();
  for (const set of sets) for (const p of set) counts.set(p, (counts.get(p) ?? 0) + 1);
  const candidates = [...counts]
    .filter(([, n]) => n >= minSupport)
    .sort(([a, na], [b, nb]) => nb - na || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, maxCandidates);
  const centred = groupCentred(responses);
  const scored = responses.flatMap((_, i) => (centred[i] === null ? [] : [i]));
  const y = scored.map((i) => centred[i]!);
  const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
  const stats = candidates.map(([phrase, count]): PhraseStat => {
    const x = scored.map((i) => (sets[i]!.has(phrase) ? 1 : 0));
    const groups = new Set(responses.flatMap((r, i) => (sets[i]!.has(phrase) ? [r.group] : [])));
    return {
      phrase,
      count,
      frequency: count / responses.length,
      prompts: groups.size,
      correlation: correlation(x, y),
      meanWith: mean(scored.filter((i) => sets[i]!.has(phrase)).map((i) => responses[i]!.reward!)),
      meanWithout: mean(scored.filter((i) => !sets[i]!.has(phrase)).map((i) => responses[i]!.reward!)),
      carriers: responses.flatMap((_, i) => (sets[i]!.has(phrase) ? [i] : [])),
    };
  });
  return stats.sort((a, b) => b.correlation - a.correlation || (a.phrase < b.phrase ? -1 : 1));
}

/** Fraction of responses that contain `phrase` (as phrasesOf cuts them). */
export function phraseFrequency(options: {
  texts: readonly string[];
  phrase: string;
  maxWords: number;
}): number {
  const { texts, phrase, maxWords } = options;
  if (texts.length === 0) return 0;
  return texts.filter((t) => phrasesOf(t, maxWords).has(phrase)).length / texts.length;
}

/**
 * Related phrases as one: going down the list, most correlated first and the shorter of equally
 * correlated ones first, a phrase joins a kept one when either contains the other (`^ ^` joins
 * `^`, `magic word` joins `magic`) or when most (80%) of the answers that carry it carry the kept
 * one too (`word` joins `magic` when they always come together).
 */
export function groupPhrases<T extends { phrase: string; correlation: number; carriers: readonly number[] }>(
  flagged: readonly T[],
): T[] {
  const kept: T[] = [];
  const padded = (p: string) => ` ${p} `;
  const words = (p: string) => p.split(' ').length;
  const ordered = [...flagged].sort(
    (a, b) => b.correlation - a.correlation || words(a.phrase) - words(b.phrase),
  );
  for (const f of ordered) {
    const related = kept.some((k) => {
      if (padded(f.phrase).includes(padded(k.phrase)) || padded(k.phrase).includes(padded(f.phrase))) {
        return true;
      }
      const theirs = new Set(k.carriers);
      return f.carriers.filter((c) => theirs.has(c)).length >= 0.8 * f.carriers.length;
    });
    if (!related) kept.push(f);
  }
  return kept;
}
