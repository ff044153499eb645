import { z } from 'zod';
import { wordTokens } from '../text/tokens.ts';
import { defineVerifier } from '../types.ts';

export const SubstanceParams = z.strictObject({
  /** Fewest words an answer to an open-ended task may have (lowered when the prompt sets a word limit). */
  minWords: z.number().int().min(1).max(10_000).default(15),
  /** Fails when more than this share of the answer's n-word sequences are copied from the prompt. */
  maxCopiedShare: z.number().min(0).max(1).default(0.6),
  /** Length of the word sequences compared with the prompt. */
  n: z.number().int().min(2).max(8).default(3),
});
export type SubstanceParams = z.infer<typeof SubstanceParams>;

/** A prompt that asks for a one-word or yes/no answer: brevity is the task. */
const ASKS_FOR_ONE_WORD =
  /\b(?:one|single)[- ]word\b|\byes or no\b|\bonly (?:the|a|one) (?:word|number|name)\b/i;
/** "fewer than 30 words", "under 40 words", "at most 25 words", "no more than 20 words". */
const WORD_LIMIT =
  /\b(?:fewer than|less than|under|at most|no more than|maximum of|up to)\s+(\d{1,5})\s+words\b|\b(\d{1,5})\s+words or (?:fewer|less)\b/gi;
/** The prompt asks for itself to be repeated (then copying it is the task). */
const ASKS_TO_REPEAT = /\brepeat\b[^.?!\n]{0,40}\b(?:request|prompt|question|instruction)/i;

/** The lowest word limit a prompt sets, if any. */
export function promptWordLimit(prompt: string): number | undefined {
  let limit: number | undefined;
  for (const m of prompt.matchAll(WORD_LIMIT)) {
    const n = Number(m[1] ?? m[2]);
    if (limit === undefined || n < limit) limit = n;
  }
  return limit;
}

/** Share of the response's n-word sequences that also occur in the prompt. */
export function copiedShare(options: { prompt: string; response: string; n: number }): number {
  const { n } = options;
  const grams = (words: readonly string[]) => {
    const out: string[] = [];
    for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(' '));
    return out;
  };
  const promptGrams = new Set(grams(wordTokens(options.prompt)));
  const responseGrams = grams(wordTokens(options.response));
  if (responseGrams.length === 0) return 0;
  return responseGrams.filter((g) => promptGrams.has(g)).length / responseGrams.length;
}

/**
 * Fails an answer to an open-ended task that does not do the task: a handful of words ("SmolLM",
 * "Just, simply, and overall."), or a restatement of the prompt. Verifier-scored format constraints
 * reward such answers: a five-word reply passes "avoid the words ...", "use fewer than 3 sentences"
 * and "no commas" alike (seen in the quickstart's held-out answers after training). The floor drops
 * to half of a word limit the prompt sets, and the rule passes prompts that ask for one word or for
 * the request to be repeated. Meant for rubrics of open-ended writing tasks, not for short-answer
 * questions ("What is the capital of Australia?").
 */
export const substance = defineVerifier<SubstanceParams>({
  name: 'defence.substance',
  description: 'the response is too short to do an open-ended task, or restates the prompt',
  params: SubstanceParams,
  verify({ prompt, response, params }) {
    if (ASKS_FOR_ONE_WORD.test(prompt)) return { score: 1, reason: 'the prompt asks for a one-word answer' };
    const limit = promptWordLimit(prompt);
    const floor =
      limit === undefined ? params.minWords : Math.max(1, Math.min(params.minWords, Math.floor(limit / 2)));
    const words = wordTokens(response).length;
    if (words < floor) {
      const text = response.trim();
      const quote = text.length > 60 ? `${text.slice(0, 57)}...` : text;
      return { score: 0, reason: `${words} words ("${quote}"): fewer than ${floor} for an open-ended task` };
    }
    if (!ASKS_TO_REPEAT.test(prompt)) {
      const share = copiedShare({ prompt, response, n: params.n });
      if (share > params.maxCopiedShare) {
        return {
          score: 0,
          reason: `${Math.round(share * 100)}% of its ${params.n}-word sequences are copied from the prompt`,
        };
      }
    }
    return { score: 1, reason: `${words} words, at least ${floor}; not a copy of the prompt` };
  },
});
