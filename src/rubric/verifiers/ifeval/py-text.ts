/**
 * Python string semantics that the IFEval reference checks depend on. The reference is written in
 * Python 3, whose `str.strip()`, `str.isupper()`, `\s`, `\w`, `\d` and `\b` are Unicode-aware and
 * differ from JavaScript's in small ways (JS `\w` is ASCII only, `trim()` strips U+FEFF but not
 * U+001C..U+001F or U+0085). Matching them exactly is what keeps our verdicts equal to the
 * reference's on real responses.
 */

/** Characters for which Python's `str.isspace()` is true; also what its `\s` matches. */
export const PY_SPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python's `\w` for str patterns: alphanumerics (letters and any numeric character) and `_`. */
export const PY_WORD_CLASS = '\\p{L}\\p{N}_';
/** Python's `\d` for str patterns: Unicode decimal digits. */
export const PY_DIGIT_CLASS = '\\p{Nd}';

const SPACE_SET = new Set<number>();
for (const c of [
  9, 10, 11, 12, 13, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f,
]) {
  SPACE_SET.add(c);
}
for (let c = 0x2000; c <= 0x200a; c++) SPACE_SET.add(c);
SPACE_SET.add(0x205f);
SPACE_SET.add(0x3000);

/** Python `ch.isspace()` for one UTF-16 code unit (every Python space is in the BMP). */
export function isPySpace(code: number): boolean {
  return code <= 0x20
    ? code === 0x20 || (code >= 9 && code <= 13) || (code >= 0x1c && code <= 0x1f)
    : SPACE_SET.has(code);
}

/** Python `s.strip()`, `s.lstrip()`, `s.rstrip()` with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPySpace(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Python `s.strip(chars)`: removes any of `chars` from both ends. */
export function pyStripChars(s: string, chars: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.includes(s[start]!)) start++;
  while (end > start && chars.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Python `s.split()` with no argument: runs of whitespace separate, empty fields dropped. */
export function pySplit(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (isPySpace(s.charCodeAt(i))) {
      if (start >= 0) out.push(s.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

const HAS_LOWER_OR_TITLE = /[\p{Lowercase}\p{Lt}]/u;
const HAS_UPPER_OR_TITLE = /[\p{Uppercase}\p{Lt}]/u;
const HAS_UPPER = /\p{Uppercase}/u;
const HAS_LOWER = /\p{Lowercase}/u;

/** Python `s.isupper()`: at least one upper-case character and no lower- or title-case one. */
export function pyIsUpper(s: string): boolean {
  return HAS_UPPER.test(s) && !HAS_LOWER_OR_TITLE.test(s);
}

/** Python `s.islower()`: at least one lower-case character and no upper- or title-case one. */
export function pyIsLower(s: string): boolean {
  return HAS_LOWER.test(s) && !HAS_UPPER_OR_TITLE.test(s);
}

/** Python's `\b` (Unicode word boundary) as a JavaScript pattern, whose own `\b` is ASCII only. */
export const PY_WORD_BOUNDARY = `(?:(?<=[${PY_WORD_CLASS}])(?![${PY_WORD_CLASS}])|(?<![${PY_WORD_CLASS}])(?=[${PY_WORD_CLASS}]))`;
/** `\b` just before a word character: the previous character is not one. */
export const PY_BOUNDARY_BEFORE_WORD = `(?<![${PY_WORD_CLASS}])`;
/** `\b` just after a word character: the next character is not one. */
export const PY_BOUNDARY_AFTER_WORD = `(?![${PY_WORD_CLASS}])`;

const WORD_CHAR = new RegExp(`^[${PY_WORD_CLASS}]`, 'u');
const WORD_CHAR_AT_END = new RegExp(`[${PY_WORD_CLASS}]$`, 'u');

/**
 * Pattern for Python's `\b<literal>\b`. The generic boundary (an alternation of lookarounds tried
 * at every position) is slow in V8; knowing which side of the literal is a word character, each
 * boundary reduces to one lookaround with the same meaning.
 */
export function pyWholeWordPattern(literal: string): string {
  if (literal === '') return `${PY_WORD_BOUNDARY}${PY_WORD_BOUNDARY}`;
  const before = WORD_CHAR.test(literal) ? PY_BOUNDARY_BEFORE_WORD : `(?<=[${PY_WORD_CLASS}])`;
  const after = WORD_CHAR_AT_END.test(literal) ? PY_BOUNDARY_AFTER_WORD : `(?=[${PY_WORD_CLASS}])`;
  return `${before}${escapeRegExp(literal)}${after}`;
}

/** Escapes text for literal use inside a regular expression (valid with the `u` flag). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
