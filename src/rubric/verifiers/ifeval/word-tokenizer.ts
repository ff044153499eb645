import {
  NLTK_BOUNDARY_AFTER_WORD,
  NLTK_BOUNDARY_BEFORE_WORD,
  NLTK_SPACE_CLASS,
  NLTK_WORD_CLASS,
} from './nltk-text.ts';
import { pyIsUpper, pySplit } from './py-text.ts';
import { splitSentences } from './punkt/sentence-splitter.ts';

/**
 * Word tokens as `nltk.word_tokenize` produces them (Penn Treebank conventions as improved in
 * NLTK), which the reference uses to count words in capitals. Sentences are split first (Punkt),
 * then each sentence is padded around punctuation by an ordered list of rewrites and split on
 * whitespace. Order matters: later rules see the padding of earlier ones.
 *
 * For the capital-word count only splits between cased letters change the result ("DON'T" gives
 * "DO" and "N'T", "I'm" gives "I" and "'m", "AT&T" gives "AT", "&", "T"), but the whole rule list is
 * kept so that the tokens themselves match.
 */

const S = NLTK_SPACE_CLASS;
const W = NLTK_WORD_CLASS;
// Every `\b` of these rules sits next to a letter, so each is a single lookaround.
const B0 = NLTK_BOUNDARY_BEFORE_WORD;
const B1 = NLTK_BOUNDARY_AFTER_WORD;
/** Python `$` without MULTILINE: the end, or just before a final newline. */
const END = '(?=\\n?$)';

/**
 * A rewrite. `needs`, when given, is a cheap test for characters without which the rule cannot
 * match: most sentences have no quote or bracket, and skipping a rule beats scanning for it.
 */
interface Rule {
  re: RegExp;
  replacement: string;
  needs: RegExp | undefined;
}
const rule = (
  source: string,
  replacement: string,
  options: { flags?: string; needs?: RegExp } = {},
): Rule => ({
  re: new RegExp(source, `gu${options.flags ?? ''}`),
  replacement,
  needs: options.needs,
});

const STARTING_QUOTES: Rule[] = [
  rule('([«“‘„]|`+)', ' $1 '),
  rule('^"', '``'),
  rule('(``)', ' $1 ', { needs: /``/ }),
  rule('([ ([{<])("|\'{2})', '$1 `` ', { needs: /["']/ }),
  rule(`(?<![${W}])(')(?!(?:re|ve|ll|m|t|s|d|n)${B1})(?=[${W}])`, '$1 ', { flags: 'i', needs: /'/ }),
];

const PUNCTUATION: Rule[] = [
  rule(`([^.])(\\.)([\\])}>"'»”’ ]*)[${S}]*${END}`, '$1 $2 $3 ', { needs: /\./ }),
  rule('([:,])([^\\p{Nd}])', ' $1 $2', { needs: /[:,]/ }),
  rule(`([:,])${END}`, ' $1 ', { needs: /[:,]/ }),
  rule('\\.{2,}', ' $& ', { needs: /\.\./ }),
  rule('[;@#$%&]', ' $& '),
  rule('[\\u2012-\\u2015]', ' $& '),
  rule(`([^.])(\\.)([\\])}>"']*)[${S}]*${END}`, '$1 $2$3 ', { needs: /\./ }),
  rule('[?!]', ' $& '),
  rule("([^'])' ", "$1 ' ", { needs: /' / }),
  rule('[*]', ' $& '),
  // Brackets, then double dashes.
  rule('[\\][(){}<>]', ' $& '),
  rule('--', ' -- '),
];

const ENDING_QUOTES: Rule[] = [
  rule('([»”’])', ' $1 '),
  rule("''", " '' "),
  rule('"', " '' "),
  rule(`[${S}]+`, ' '),
  rule("([^' ])('[sS]|'[mM]|'[dD]|') ", '$1 $2 ', { needs: /'/ }),
  rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", '$1 $2 ', { needs: /'/ }),
];

/** Contractions split into their two words ("cannot", "gonna", "'tis"). */
const CONTRACTIONS: Rule[] = [
  rule(`${B0}(can)(not)${B1}`, ' $1 $2 ', { flags: 'i' }),
  rule(`${B0}(d)('ye)${B1}`, ' $1 $2 ', { flags: 'i' }),
  rule(`${B0}(gim)(me)${B1}`, ' $1 $2 ', { flags: 'i' }),
  rule(`${B0}(gon)(na)${B1}`, ' $1 $2 ', { flags: 'i' }),
  rule(`${B0}(got)(ta)${B1}`, ' $1 $2 ', { flags: 'i' }),
  rule(`${B0}(lem)(me)${B1}`, ' $1 $2 ', { flags: 'i' }),
  rule(`${B0}(more)('n)${B1}`, ' $1 $2 ', { flags: 'i' }),
  rule(`${B0}(wan)(na)(?=[${S}])`, ' $1 $2 ', { flags: 'i' }),
  rule(` ('t)(is)${B1}`, ' $1 $2 ', { flags: 'i' }),
  rule(` ('t)(was)${B1}`, ' $1 $2 ', { flags: 'i' }),
];
/** Without one of these strings no contraction rule can match. */
const ANY_CONTRACTION = /cannot|'ye|gimme|gonna|gotta|lemme|more'n|wanna|'tis|'twas/i;

function applyAll(text: string, rules: readonly Rule[]): string {
  let out = text;
  for (const r of rules)
    if (r.needs === undefined || r.needs.test(out)) out = out.replace(r.re, r.replacement);
  return out;
}

/** Word tokens of one sentence. */
export function tokenizeSentenceWords(sentence: string): string[] {
  let text = applyAll(sentence, STARTING_QUOTES);
  text = applyAll(text, PUNCTUATION);
  text = applyAll(` ${text} `, ENDING_QUOTES);
  if (ANY_CONTRACTION.test(text)) text = applyAll(text, CONTRACTIONS);
  return pySplit(text);
}

/** Word tokens of a text: sentences first, then words. */
export function tokenizeWords(text: string): string[] {
  return splitSentences(text).flatMap(tokenizeSentenceWords);
}

const HAS_UPPER = /\p{Uppercase}/u;

/**
 * Number of word tokens written entirely in capitals (Python `isupper`). A sentence without an
 * upper-case character cannot hold such a token, so it is not tokenised at all.
 */
export function countCapitalWords(text: string): number {
  let n = 0;
  for (const sentence of splitSentences(text)) {
    if (HAS_UPPER.test(sentence)) n += tokenizeSentenceWords(sentence).filter(pyIsUpper).length;
  }
  return n;
}
