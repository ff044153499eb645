import { RE2JS } from 're2js';

/**
 * User regular expressions (rubric `text.regex` criteria) run on RE2 (re2js, pure JavaScript):
 * matching takes time linear in the response, so a pattern such as `^(a+)+$` cannot hang scoring
 * the way a backtracking `RegExp` does. RE2 has no lookaround and no backreferences; a pattern that
 * needs them is rejected when the rubric is validated, never at scoring time.
 *
 * The syntax is RE2's, with JavaScript's `\uXXXX`, `\u{X...}` and `\cX` escapes translated, so
 * patterns written for JavaScript keep working. Differences that remain: `\s` is ASCII whitespace,
 * and a repeat count is at most 1000.
 */

/** The flags a rubric may give: i, m, s, u (u is implied: RE2 always matches code points). */
export const REGEX_FLAGS = /^[imsu]*$/;

const FLAG_BITS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0,
};

/** One match: where it starts (UTF-16 index, as `RegExp`) and the matched text. */
export interface LinearMatch {
  index: number;
  text: string;
}

/** A compiled pattern whose every operation runs in time linear in the input. */
export interface LinearRegex {
  /** The first match, or null. */
  first(input: string): LinearMatch | null;
  /** Counts matches, stopping at `limit` (an empty match counts once and ends the count). */
  count(input: string, limit?: number): number;
}

/** Thrown when a pattern cannot be compiled; the message says why, in RE2's words. */
export class RegexSyntaxError extends Error {}

/** Rewrites JavaScript-only escapes into RE2's `\x{...}` form; everything else is kept as written. */
export function toRe2Syntax(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch !== '\\' || i + 1 >= pattern.length) {
      out += ch;
      continue;
    }
    const next = pattern[i + 1]!;
    const braced = next === 'u' ? /^\{([0-9A-Fa-f]{1,6})\}/.exec(pattern.slice(i + 2)) : null;
    const four = next === 'u' ? /^[0-9A-Fa-f]{4}/.exec(pattern.slice(i + 2)) : null;
    const control = next === 'c' ? /^[A-Za-z]/.exec(pattern.slice(i + 2)) : null;
    if (braced !== null) {
      out += `\\x{${braced[1]}}`;
      i += 1 + braced[0].length;
    } else if (four !== null) {
      out += `\\x{${four[0]}}`;
      i += 1 + four[0].length;
    } else if (control !== null) {
      out += `\\x{${(control[0].toUpperCase().charCodeAt(0) % 32).toString(16)}}`;
      i += 2;
    } else {
      out += ch + next; // any other escape, `\\` included, passes through as a pair
      i += 1;
    }
  }
  return out;
}

// Bounded so a corpus of instance rubrics, each with its own patterns, cannot grow it without end.
const CACHE_LIMIT = 4096;
const cache = new Map<string, LinearRegex>();

/**
 * Compiles `pattern` with `flags` (from i, m, s, u) for linear-time matching; compiled patterns are
 * cached, since verifiers run in the judge's hot loop. Throws `RegexSyntaxError` naming the problem.
 */
export function compileLinearRegex(pattern: string, flags = ''): LinearRegex {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (!REGEX_FLAGS.test(flags)) throw new RegexSyntaxError(`flags from i, m, s, u, got '${flags}'`);
  let bits = 0;
  for (const f of flags) bits |= FLAG_BITS[f] ?? 0;
  let re: RE2JS;
  try {
    re = RE2JS.compile(toRe2Syntax(pattern), bits);
  } catch (err) {
    const reason = (err as Error).message.replace(/^error parsing regexp: /, '');
    // Lookaround and backreferences fail as "unsupported Perl syntax" or "invalid escape".
    const hint = /Perl syntax|escape sequence|named capture/.test(reason)
      ? '; RE2 has no lookaround or backreferences'
      : '';
    throw new RegexSyntaxError(`${reason}${hint}`);
  }
  const compiled: LinearRegex = {
    first(input) {
      // re2js types exec() loosely; its result has the shape of RegExp's.
      const m = re.exec(input) as RegExpExecArray | null;
      return m === null ? null : { index: m.index, text: m[0] };
    },
    count(input, limit = Number.POSITIVE_INFINITY) {
      let n = 0;
      for (const m of re.matchAll(input)) {
        n++;
        if (m[0] === '' || n >= limit) break;
      }
      return n;
    },
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, compiled);
  return compiled;
}
