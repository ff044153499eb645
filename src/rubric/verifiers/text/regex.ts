import { z } from 'zod';
import { defineVerifier } from '../types.ts';
import { compileLinearRegex, REGEX_FLAGS, RegexSyntaxError } from './linear-regex.ts';

export const RegexParams = z
  .strictObject({
    /**
     * A regular expression (without slashes) in RE2 syntax, which runs in time linear in the
     * response; JavaScript's `\uXXXX` escapes are accepted, lookaround and backreferences are not.
     */
    pattern: z.string().min(1),
    /** Any of i, m, s, u (g is implied: matches are counted). */
    flags: z
      .string()
      .regex(REGEX_FLAGS, 'flags from i, m, s, u')
      .refine((f) => new Set(f).size === f.length, 'each flag at most once')
      .default(''),
    /**
     * `match`: at least `minCount` (default 1) and at most `maxCount` matches (`minCount: 0` with a
     * `maxCount` reads "at most"). `no-match`: none.
     */
    must: z.enum(['match', 'no-match']).default('match'),
    minCount: z.number().int().nonnegative().optional(),
    maxCount: z.number().int().nonnegative().optional(),
  })
  .superRefine((p, ctx) => {
    try {
      // Compiled with the rubric's own flags so the message shows what the rubric wrote.
      compileLinearRegex(p.pattern, REGEX_FLAGS.test(p.flags) ? [...new Set(p.flags)].join('') : '');
    } catch (err) {
      if (!(err instanceof RegexSyntaxError)) throw err;
      ctx.addIssue({
        code: 'custom',
        path: ['pattern'],
        message: `a valid RE2 regular expression (${err.message})`,
      });
    }
    if (p.must === 'no-match' && (p.minCount !== undefined || p.maxCount !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['must'], message: "'match' when minCount or maxCount is given" });
    }
    if (p.minCount !== undefined && p.maxCount !== undefined && p.minCount > p.maxCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxCount'],
        message: `maxCount at least minCount (${p.minCount})`,
      });
    }
  });
export type RegexParams = z.output<typeof RegexParams>;

const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** The response must (or must not) match a regular expression, optionally a number of times. */
export const regex = defineVerifier<RegexParams>({
  name: 'text.regex',
  description:
    'the response matches (or does not match) an RE2 regular expression (linear time), optionally min/max times',
  params: RegexParams,
  verify({ response, params }) {
    const re = compileLinearRegex(params.pattern, params.flags);
    const first = re.first(response);
    if (params.must === 'no-match') {
      return first === null
        ? { score: 1, reason: `no match for /${params.pattern}/${params.flags}` }
        : {
            score: 0,
            reason: `matches /${params.pattern}/${params.flags} at ${first.index}: ${quote(first.text)}`,
          };
    }
    const count = first === null ? 0 : re.count(response);
    const min = params.minCount ?? 1;
    const ok = count >= min && (params.maxCount === undefined || count <= params.maxCount);
    const range = `${min}..${params.maxCount ?? 'inf'}`;
    const sample = first === null ? '' : `, first: ${quote(first.text)}`;
    return {
      score: ok ? 1 : 0,
      reason: `${count} matches of /${params.pattern}/${params.flags} (wanted ${range})${sample}`,
    };
  },
});
