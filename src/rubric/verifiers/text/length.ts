import { z } from 'zod';
import { defineVerifier } from '../types.ts';
import { fmt, linearFalloff } from './score.ts';
import { countWords, splitParagraphs, splitSentences } from './tokens.ts';

/** How each unit is counted; see `tokens.ts` for what a word, sentence and paragraph are. */
const UNITS = {
  words: (text: string) => countWords(text),
  characters: (text: string) => [...text.trim()].length,
  sentences: (text: string) => splitSentences(text).length,
  paragraphs: (text: string) => splitParagraphs(text).length,
} as const satisfies Record<string, (text: string) => number>;

export const LengthParams = z
  .strictObject({
    unit: z.enum(Object.keys(UNITS) as [keyof typeof UNITS, ...(keyof typeof UNITS)[]]).default('words'),
    min: z.number().int().nonnegative().optional(),
    max: z.number().int().positive().optional(),
    /**
     * 0 (default): pass/fail. Above 0: partial credit outside the range, falling linearly to 0 at
     * min * (1 - slack) and max * (1 + slack).
     */
    slack: z.number().min(0).max(1).default(0),
  })
  .superRefine((p, ctx) => {
    if (p.min === undefined && p.max === undefined) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'at least one of min and max' });
    }
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `max at least min (${p.min})` });
    }
  });
export type LengthParams = z.output<typeof LengthParams>;

/** Length in words, characters, sentences or paragraphs within [min, max]. */
export const length = defineVerifier<LengthParams>({
  name: 'text.length',
  description: 'length in words, characters, sentences or paragraphs within [min, max]',
  params: LengthParams,
  verify({ response, params }) {
    const n = UNITS[params.unit](response);
    const range = `${params.min ?? 0}..${params.max ?? 'inf'} ${params.unit}`;
    let score = 1;
    if (params.min !== undefined && n < params.min) {
      score =
        params.slack === 0
          ? 0
          : linearFalloff({ value: n, good: params.min, bad: params.min * (1 - params.slack) });
    } else if (params.max !== undefined && n > params.max) {
      score =
        params.slack === 0
          ? 0
          : linearFalloff({ value: n, good: params.max, bad: params.max * (1 + params.slack) });
    }
    const verdict = score === 1 ? 'within' : 'outside';
    return {
      score,
      reason: `${n} ${params.unit}, ${verdict} ${range}${score > 0 && score < 1 ? ` (score ${fmt(score)})` : ''}`,
    };
  },
});
