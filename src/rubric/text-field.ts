import { z } from 'zod';

/**
 * Characters refused in rubric text (titles, descriptions, tier labels, guidance, prompts): C0 and
 * C1 control characters other than tab, line feed and carriage return, DEL, and the bidirectional
 * overrides and isolates that make text read differently from what a grader or reviewer sees.
 */
const REFUSED = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** Where the first refused character is, for the message; undefined when there is none. */
export function findControlCharacter(text: string): { codePoint: string; index: number } | undefined {
  const m = REFUSED.exec(text);
  if (m === null) return undefined;
  const codePoint = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return { codePoint, index: m.index };
}

/** A string of readable text: at least `min` characters, no control characters. */
export function textField(options: { min?: number } = {}) {
  return z
    .string()
    .min(options.min ?? 0)
    .superRefine((text, ctx) => {
      const found = findControlCharacter(text);
      if (found !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `text without control characters (found ${found.codePoint} at character ${found.index + 1})`,
        });
      }
    });
}
