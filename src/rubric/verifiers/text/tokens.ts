/**
 * Tokenisation shared by the text verifiers. One definition of "word" keeps the lexicon rates, the
 * length checks and the lexicon files consistent with each other.
 *
 * A word is a run of letters, digits and marks, with inner apostrophes kept ("don't"); hyphens and
 * other punctuation separate words. Each CJK ideograph, kana or hangul syllable is a word of its own,
 * the usual convention for counting Chinese and Japanese text.
 */

const CJK = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}`;
const WORD_CHAR = String.raw`(?:(?![${CJK}])[\p{L}\p{N}\p{M}])`;
const WORD_RE = new RegExp(`[${CJK}]|${WORD_CHAR}+(?:['’]${WORD_CHAR}+)*`, 'gu');
const CJK_RE = new RegExp(`[${CJK}]`, 'gu');
const LETTER_RE = /\p{L}/gu;

/** Lower-cased words of `text`, curly apostrophes folded to straight ones. */
export function wordTokens(text: string): string[] {
  const lower = text.toLowerCase();
  const out: string[] = [];
  for (const m of lower.matchAll(WORD_RE)) out.push(m[0].replaceAll('’', "'"));
  return out;
}

/** Number of words, by the definition above. */
export function countWords(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(WORD_RE)) n++;
  return n;
}

/** Share of letters that are CJK characters (0 when there are no letters). */
export function cjkShare(text: string): number {
  let letters = 0;
  for (const _ of text.matchAll(LETTER_RE)) letters++;
  if (letters === 0) return 0;
  let cjk = 0;
  for (const _ of text.matchAll(CJK_RE)) cjk++;
  return cjk / letters;
}

// "can't" splits as ca + n't in most tokenisers; these bases are spelt out so the fold is readable.
const NEGATED_BASE: Record<string, string> = { can: 'can', won: 'will', shan: 'shall', ain: 'ain' };

/**
 * Folds a contraction to its base word: "couldn't" -> "could", "she'd" -> "she", "it's" -> "it".
 * The n-gram lexicons were counted over text tokenised this way (the suffix dropped as a stopword).
 */
export function foldContraction(token: string): string {
  const at = token.indexOf("'");
  if (at < 0) return token;
  const base = token.slice(0, at);
  const suffix = token.slice(at + 1);
  if (suffix === 't' && base.endsWith('n')) {
    const special = NEGATED_BASE[base];
    if (special !== undefined) return special;
    return base.slice(0, -1);
  }
  return base;
}

/** Content words: contractions folded, stopwords removed (as the n-gram lexicons were counted). */
export function contentTokens(tokens: readonly string[], stopwords: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const folded = foldContraction(t);
    if (folded !== '' && !stopwords.has(folded)) out.push(folded);
  }
  return out;
}

/** Sentences: text split after . ! ? (and their CJK forms); pieces without a word are dropped. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?…]+["'”’)\]]*)\s+|(?<=[。！？]+["'”’」』）]*)/u)
    .map((s) => s.trim())
    .filter((s) => countWords(s) > 0);
}

/** Paragraphs: blocks separated by one or more blank lines; blocks without a word are dropped. */
export function splitParagraphs(text: string): string[] {
  return text
    .split(/\r?\n[ \t]*\r?\n/)
    .map((p) => p.trim())
    .filter((p) => countWords(p) > 0);
}
