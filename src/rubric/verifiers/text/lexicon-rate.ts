import { z } from 'zod';
import { defineVerifier } from '../types.ts';
import { LEXICON_DIR, LEXICON_NAME, lexiconExists, lexiconMatcher, listLexicons } from './lexicon.ts';
import { fmt, linearFalloff } from './score.ts';
import { cjkShare, wordTokens } from './tokens.ts';

const LexiconName = z
  .string()
  .regex(LEXICON_NAME, 'a lexicon name (lower-case letters, digits, -)')
  .refine((name) => lexiconExists(name), {
    error: (issue) =>
      `a lexicon in rubrics/lexicons/ (got '${String(issue.input)}'; known: ${listLexicons().join(', ')})`,
  });

export const LexiconRateParams = z
  .strictObject({
    /** One lexicon name or several; their entries are matched together. */
    lexicon: z.union([LexiconName, z.array(LexiconName).min(1)]),
    /** Lexicons whose entries are not counted (e.g. `human-ngrams`: phrases people use as often). */
    exclude: z.array(LexiconName).default([]),
    /** Hits per 1,000 words at or below which the score is 1. */
    threshold: z.number().finite().nonnegative(),
    /** `linear`: the score falls from 1 at `threshold` to 0 at `ceiling`. `pass-fail`: 1 or 0. */
    scoring: z.enum(['linear', 'pass-fail']).default('linear'),
    ceiling: z.number().finite().positive().optional(),
    /** Shorter responses are unscorable: a rate over a few words says little. */
    minWords: z.number().int().nonnegative().default(50),
    /** Above this share of CJK letters the response is unscorable (the lexicons are English). */
    maxCjkShare: z.number().min(0).max(1).default(0.3),
  })
  .superRefine((p, ctx) => {
    if (p.scoring === 'linear' && p.ceiling === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ceiling'],
        message: 'a ceiling (hits per 1,000 words scoring 0) for linear scoring',
      });
    }
    if (p.ceiling !== undefined && p.ceiling <= p.threshold) {
      ctx.addIssue({
        code: 'custom',
        path: ['ceiling'],
        message: `a ceiling above the threshold (${p.threshold})`,
      });
    }
  });
export type LexiconRateParams = z.output<typeof LexiconRateParams>;

// The same response is usually checked against several lexicons in a row: tokenise it once.
let lastText: string | undefined;
let lastTokens: string[] = [];
function tokensOf(text: string): string[] {
  if (text !== lastText) {
    lastTokens = wordTokens(text);
    lastText = text;
  }
  return lastTokens;
}

/**
 * Rate of lexicon hits per 1,000 words, e.g. AI-typical words in a story. Scores 1 at or below the
 * threshold; above it, 0 (pass-fail) or a linear fall to 0 at the ceiling. The reason quotes the
 * most frequent hits.
 */
export const lexiconRate = defineVerifier<LexiconRateParams>({
  name: 'text.lexicon-rate',
  description: 'hits of a word/phrase lexicon per 1,000 words against a threshold',
  params: LexiconRateParams,
  verify({ response, params }) {
    const include = typeof params.lexicon === 'string' ? [params.lexicon] : params.lexicon;
    const tokens = tokensOf(response);
    if (tokens.length < params.minWords) {
      return {
        unscorable: true,
        reason: `${tokens.length} words, fewer than the ${params.minWords} a rate needs`,
      };
    }
    const cjk = cjkShare(response);
    if (cjk > params.maxCjkShare) {
      return { unscorable: true, reason: `${Math.round(cjk * 100)}% CJK letters; the lexicons are English` };
    }
    const hits = lexiconMatcher({ include, exclude: params.exclude, dir: LEXICON_DIR }).match(tokens);
    const rate = (hits.length * 1000) / tokens.length;
    const score =
      params.scoring === 'pass-fail' || params.ceiling === undefined
        ? rate <= params.threshold
          ? 1
          : 0
        : linearFalloff({ value: rate, good: params.threshold, bad: params.ceiling });
    const limit =
      params.scoring === 'linear'
        ? `threshold ${fmt(params.threshold)}, ceiling ${fmt(params.ceiling ?? 0)}`
        : `threshold ${fmt(params.threshold)}`;
    return {
      score,
      reason: `${fmt(rate)} hits per 1,000 words (${hits.length} in ${tokens.length} words; ${limit})${topHits(hits)}`,
    };
  },
});

function topHits(hits: readonly { entry: string }[]): string {
  if (hits.length === 0) return '';
  const counts = new Map<string, number>();
  for (const h of hits) counts.set(h.entry, (counts.get(h.entry) ?? 0) + 1);
  const top = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 8)
    .map(([e, n]) => (n > 1 ? `"${e}" x${n}` : `"${e}"`));
  return `: ${top.join(', ')}`;
}
