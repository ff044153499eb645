/**
 * Character classes of the patterns NLTK compiles itself (Punkt, its word tokenizer and
 * `RegexpTokenizer`, which the reference counts words with). Current NLTK compiles them with the
 * third-party `regex` engine, whose classes follow Unicode's definitions rather than Python `re`'s:
 * its `\s` leaves out U+001C..U+001F, and its `\w` takes in combining marks, so a Hindi or Kannada
 * word with vowel signs counts as one word rather than as several pieces. These are the semantics
 * under which the reference reproduces the published labels.
 */

/** NLTK's `\s`. */
export const NLTK_SPACE_CLASS =
  '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** NLTK's `\w`: alphabetic characters, marks, decimal digits, connector punctuation, joiners. */
export const NLTK_WORD_CLASS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
/** NLTK's `[^\W\d]`: word characters that are not digits. */
export const NLTK_LETTER_CLASS = '\\p{Alphabetic}\\p{M}\\p{Pc}\\p{Join_Control}';
/** NLTK's `\b` just before a word character: the previous character is not one. */
export const NLTK_BOUNDARY_BEFORE_WORD = `(?<![${NLTK_WORD_CLASS}])`;
/** NLTK's `\b` just after a word character: the next character is not one. */
export const NLTK_BOUNDARY_AFTER_WORD = `(?![${NLTK_WORD_CLASS}])`;

const WORD_CHAR = new RegExp(`^[${NLTK_WORD_CLASS}]$`, 'u');
let bmpWordChars: Uint8Array | undefined;

/**
 * Number of `\w+` runs in `text` as `RegexpTokenizer(r"\w+")` finds them: the reference's word
 * count. A table over the BMP replaces the Unicode-property regular expression, which is several
 * times slower per character in V8.
 */
export function countWords(text: string): number {
  if (bmpWordChars === undefined) {
    bmpWordChars = new Uint8Array(0x10000);
    for (let c = 0; c < 0x10000; c++) bmpWordChars[c] = WORD_CHAR.test(String.fromCharCode(c)) ? 1 : 0;
  }
  const table = bmpWordChars;
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    let isWord = table[unit] === 1;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) {
        i++;
        isWord = WORD_CHAR.test(String.fromCodePoint(cp));
      }
    }
    if (isWord && !inWord) count++;
    inWord = isWord;
  }
  return count;
}
