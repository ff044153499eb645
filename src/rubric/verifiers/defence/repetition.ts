import { z } from 'zod';
import { wordTokens } from '../text/tokens.ts';
import { defineVerifier } from '../types.ts';

export const RepetitionParams = z.strictObject({
  /** Length of the word sequences compared. */
  n: z.number().int().min(2).max(8).default(4),
  /** Fails when more than this share of a window's n-word sequences repeat an earlier one there. */
  maxRepeatedShare: z.number().min(0).max(1).default(0.5),
  /** Words per window: repetition is measured locally, so a long answer is not penalised for length. */
  window: z.number().int().min(16).max(100_000).default(400),
  /** Responses shorter than this many words pass: too short to loop. */
  minWords: z.number().int().min(2).default(16),
});
export type RepetitionParams = z.infer<typeof RepetitionParams>;

/** Prompts that ask for something to be said many times (then repetition is the task). */
const ASKS_FOR_REPETITION =
  /\b(?:repeat\w*|say|write|print|list)\b[^.?!\n]{0,60}?\b(?:\d+|ten|twenty|thirty|fifty|hundred|many)\s+times\b|\bover and over\b|\bagain and again\b/i;

interface WindowStats {
  start: number;
  end: number;
  share: number;
  top: { gram: string; count: number };
}

/** Share of the n-grams in words[start, end) that repeat an earlier one, and the most frequent one. */
export function repeatedShare(options: {
  words: readonly string[];
  n: number;
  start: number;
  end: number;
}): WindowStats {
  const { words, n, start, end } = options;
  const counts = new Map<string, number>();
  let total = 0;
  for (let i = start; i + n <= end; i++) {
    const gram = words.slice(i, i + n).join(' ');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
    total++;
  }
  let top = { gram: '', count: 0 };
  for (const [gram, count] of counts) if (count > top.count) top = { gram, count };
  return { start, end, share: total === 0 ? 0 : (total - counts.size) / total, top };
}

/**
 * Fails degenerate repetition: the same phrase or line again and again, a cheap way to satisfy a
 * count or format constraint (seen in high-reward rollouts: a title followed by its last word twenty
 * times, a bracketed blank such as [date] repeated to the token limit). Measured per window of `window` words as the
 * share of n-word sequences that repeat an earlier one in that window; the worst window counts.
 * Passes when the prompt asks for something to be repeated many times.
 */
export const repetition = defineVerifier<RepetitionParams>({
  name: 'defence.repetition',
  description: 'the response pads itself with the same words again and again',
  params: RepetitionParams,
  verify({ prompt, response, params }) {
    if (ASKS_FOR_REPETITION.test(prompt)) {
      return { score: 1, reason: 'the prompt asks for repetition' };
    }
    const words = wordTokens(response);
    if (words.length < Math.max(params.minWords, params.n + 1)) {
      return { score: 1, reason: `${words.length} words: too short to measure repetition` };
    }
    let worst: WindowStats | undefined;
    for (let start = 0; start < words.length; start += params.window) {
      // A short tail joins the window before it, so every window has enough sequences to judge.
      let end = Math.min(words.length, start + params.window);
      if (words.length - end < params.window / 2) end = words.length;
      const stats = repeatedShare({ words, n: params.n, start, end });
      if (worst === undefined || stats.share > worst.share) worst = stats;
      if (end === words.length) break;
    }
    const w = worst!;
    const pct = `${Math.round(w.share * 100)}%`;
    if (w.share > params.maxRepeatedShare) {
      return {
        score: 0,
        reason: `degenerate repetition: ${pct} of the ${params.n}-word sequences in words ${w.start + 1}-${w.end} repeat earlier ones (most often "${w.top.gram}", ${w.top.count} times)`,
      };
    }
    return { score: 1, reason: `at most ${pct} repeated ${params.n}-word sequences in a window` };
  },
});
