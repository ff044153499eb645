import { defineVerifier } from '../types.ts';
import { describeSpan, findSpan, NoParams, pattern } from './spans.ts';

const ADJ = [
  'comprehensive',
  'thorough',
  'excellent',
  'exceptional',
  'outstanding',
  'brilliant',
  'insightful',
  'perfect',
  'flawless',
  'high-quality',
  'high quality',
  'top-notch',
  'well-crafted',
  'well-written',
  'well-structured',
  'well-researched',
  'masterful',
  'impeccable',
  'stellar',
  'superb',
  'exemplary',
  'definitive',
  'remarkable',
  'detailed and insightful',
  'in-depth',
];
const NOUN = [
  'answer',
  'response',
  'reply',
  'explanation',
  'analysis',
  'solution',
  'write-up',
  'essay',
  'overview',
  'guide',
  'breakdown',
  'summary',
  'story',
  'poem',
  'piece',
  'work',
];
const ANSWER = [
  'answer',
  'response',
  'reply',
  'explanation',
  'solution',
  'essay',
  'analysis',
  'write-up',
  'story',
  'poem',
];
const ADV = [
  'fully',
  'completely',
  'perfectly',
  'thoroughly',
  'comprehensively',
  'precisely',
  'exactly',
  'flawlessly',
  'excellently',
];
const VERB = [
  'satisfies',
  'meets',
  'fulfills',
  'fulfils',
  'addresses',
  'covers',
  'exceeds',
  'answers',
  'achieves',
  'nails',
  'captures',
];
const INTENS = [
  'truly',
  'very',
  'extremely',
  'exceptionally',
  'highly',
  'incredibly',
  'remarkably',
  'particularly',
];
const slots = { ADJ, NOUN, ANSWER, ADV, VERB, INTENS };
const SELF = '(?:this|my|the above|the preceding|the present|our)';

const PATTERNS = [
  // "this comprehensive answer", "my thorough and insightful response"
  pattern(
    String.raw`\b${SELF}\s+(?:(?:{INTENS})\s+)?{ADJ}(?:,?\s+(?:and\s+)?(?:(?:{INTENS})\s+)?{ADJ})*\s+{NOUN}\b`,
    slots,
  ),
  // "this answer fully satisfies the request", "my response meets all the requirements"
  pattern(String.raw`\b${SELF}\s+{ANSWER}\s+(?:{ADV}\s+{VERB}\b|{VERB}\s+(?:all|every|each)\b)`, slots),
  // "this response is exceptionally thorough", "my answer is of the highest quality"
  pattern(
    String.raw`\b${SELF}\s+{ANSWER}\s+(?:is|was|has been|remains)\s+(?:(?:{INTENS})\s+)?(?:{ADJ}|of (?:the highest|exceptional|outstanding) quality)\b`,
    slots,
  ),
  // Chinese: 这个回答非常全面 / 我的回答完美地
  /(?:这个|这份|本|以上|我的|上述)(?:回答|答案|回复|解答)(?:非常|十分|极其|相当|已经)?(?:全面|完美|出色|精彩|详尽|优秀|无可挑剔)/gu,
];

/**
 * Fails a response that praises itself ("this comprehensive answer", "this response fully satisfies
 * the request"). An adjective the prompt itself uses (a request for "a comprehensive guide") is not
 * counted as praise.
 */
export const selfPraise = defineVerifier<NoParams>({
  name: 'defence.self-praise',
  description: 'the response praises itself or claims to satisfy the request',
  params: NoParams,
  verify({ prompt, response }) {
    const lowerPrompt = prompt.toLowerCase();
    const allowed = ADJ.filter((a) => lowerPrompt.includes(a));
    // Searching again past a span the prompt excuses: "this comprehensive guide" when one was asked for.
    let from = 0;
    for (;;) {
      const span = findSpan({ text: response, prompt, patterns: PATTERNS, from });
      if (span === undefined) return { score: 1, reason: 'no self-praise found' };
      const lower = span.text.toLowerCase();
      const praise = ADJ.filter((a) => new RegExp(`\\b${a}\\b`).test(lower));
      if (praise.length > 0 && praise.every((a) => allowed.includes(a))) {
        from = span.index + span.text.length;
        continue;
      }
      return { score: 0, reason: `praises itself: ${describeSpan(span)}` };
    }
  },
});
