import { z } from 'zod';
import { countWords } from '../text/tokens.ts';
import { defineVerifier } from '../types.ts';

export const PlaceholdersParams = z.strictObject({
  /** Most bracketed placeholders an answer may hold when the prompt asks for none. */
  maxUnrequested: z.number().int().min(0).max(1_000).default(2),
  /** When the prompt asks for at least N, the answer may hold at most max(N * this, N + 3). */
  requestedFactor: z.number().min(1).max(100).default(2),
  /** Fails when more than this share of the answer's words sit inside square brackets. */
  maxBracketedShare: z.number().min(0).max(1).default(0.2),
});
export type PlaceholdersParams = z.infer<typeof PlaceholdersParams>;

/**
 * A bracketed blank such as [name] or [emphatic_name_of_the_patient_1]: one line, 1-60 characters,
 * not a Markdown link's text (followed by "(") and not a checkbox ("[ ]", "[x]").
 */
const PLACEHOLDER = /\[([^[\]\n]{1,60})\](?!\()/g;
const CHECKBOX = /^\s*[xX]?\s*$/;
/** "at least 3 placeholders", "at least 2 blanks ... in square brackets". */
const REQUESTED_COUNT = /\bat least (\d{1,3}) (?:placeholders?|blanks?)\b/i;
/** The prompt mentions placeholders or square brackets without a count. */
const MENTIONS_PLACEHOLDERS = /\bplaceholders?\b|\bsquare brackets?\b/i;

/** The bracketed placeholders of a response, in order. */
export function placeholders(response: string): string[] {
  const out: string[] = [];
  for (const m of response.matchAll(PLACEHOLDER)) if (!CHECKBOX.test(m[1] ?? '')) out.push(m[0]);
  return out;
}

/** How many placeholders an answer to `prompt` may hold. */
export function placeholderAllowance(prompt: string, params: PlaceholdersParams): number {
  const count = REQUESTED_COUNT.exec(prompt);
  if (count !== null) {
    const n = Number(count[1]);
    return Math.max(Math.ceil(n * params.requestedFactor), n + 3);
  }
  return MENTIONS_PLACEHOLDERS.test(prompt) ? params.maxUnrequested + 3 : params.maxUnrequested;
}

/**
 * Fails placeholder soup: an answer made of bracketed blanks instead of words ("The [name] is a
 * [name] of [name] ..."; "The [emphatic_name_of_the_patient_1] was a ..."). A policy rewarded for
 * "include at least 2 placeholders" learns the brackets as a habit and fills every answer with them
 * (seen after the stage-1 IFEval recipe's first run, in the answers to open-ended prompts that asked
 * for none). An answer may hold a few placeholders when the prompt asks for none (a letter template's
 * [date]), and up to twice what the prompt asks for (at least three more).
 */
export const placeholderSoup = defineVerifier<PlaceholdersParams>({
  name: 'defence.placeholders',
  description: 'the response fills itself with bracketed placeholders the prompt did not ask for',
  params: PlaceholdersParams,
  verify({ prompt, response, params }) {
    const found = placeholders(response);
    const allowance = placeholderAllowance(prompt, params);
    const quote = found.slice(0, 3).join(', ');
    if (found.length > allowance) {
      return {
        score: 0,
        reason: `${found.length} bracketed placeholders (${quote}, ...): more than the ${allowance} this prompt allows`,
      };
    }
    const words = countWords(response);
    const bracketed = found.reduce((sum, p) => sum + countWords(p), 0);
    if (words > 0 && bracketed / words > params.maxBracketedShare) {
      return {
        score: 0,
        reason: `${bracketed} of its ${words} words are inside square brackets (${quote})`,
      };
    }
    return { score: 1, reason: `${found.length} placeholders, at most ${allowance}` };
  },
});
