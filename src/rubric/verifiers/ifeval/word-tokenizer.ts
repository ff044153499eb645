import { PY_SPACE_CLASS, PY_WORD_BOUNDARY, PY_WORD_CLASS, pySplit } from './py-text.ts';
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

const S = PY_SPACE_CLASS;
const W = PY_WORD_CLASS;
const B = PY_WORD_BOUNDARY;
/** Python `$` without MULTILINE: the end, or just before a final newline. */
const END = '(?=\\n?$)';

type Rule = [RegExp, string];
const rule = (source: string, replacement: string, flags = ''): Rule => [
  new RegExp(source, `gu${flags}`),
  replacement,
];

const STARTING_QUOTES: Rule[] = [
  rule('([«“‘„]|`+)', ' $1 '),
  rule('^"', '``'),
  rule('(``)', ' $1 '),
  rule('([ ([{<])("|\'{2})', '$1 `` '),
  rule(`(?<![${W}])(')(?!(?:re|ve|ll|m|t|s|d|n)${B})(?=[${W}])`, '$1 ', 'i'),
];

const PUNCTUATION: Rule[] = [
  rule(`([^.])(\\.)([\\])}>"'»”’ ]*)[${S}]*${END}`, '$1 $2 $3 '),
  rule('([:,])([^\\p{Nd}])', ' $1 $2'),
  rule(`([:,])${END}`, ' $1 '),
  rule('\\.{2,}', ' $& '),
  rule('[;@#$%&]', ' $& '),
  rule('[\\u2012-\\u2015]', ' $& '),
  rule(`([^.])(\\.)([\\])}>"']*)[${S}]*${END}`, '$1 $2$3 '),
  rule('[?!]', ' $& '),
  rule("([^'])' ", "$1 ' "),
  rule('[*]', ' $& '),
];

const PARENS_BRACKETS = rule('[\\][(){}<>]', ' $& ');
const DOUBLE_DASHES = rule('--', ' -- ');

const ENDING_QUOTES: Rule[] = [
  rule('([»”’])', ' $1 '),
  rule("''", " '' "),
  rule('"', " '' "),
  rule(`[${S}]+`, ' '),
  rule("([^' ])('[sS]|'[mM]|'[dD]|') ", '$1 $2 '),
  rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", '$1 $2 '),
];

/** Contractions split into their two words ("cannot", "gonna", "'tis"). */
const CONTRACTIONS: Rule[] = [
  rule(`${B}(can)(not)${B}`, ' $1 $2 ', 'i'),
  rule(`${B}(d)('ye)${B}`, ' $1 $2 ', 'i'),
  rule(`${B}(gim)(me)${B}`, ' $1 $2 ', 'i'),
  rule(`${B}(gon)(na)${B}`, ' $1 $2 ', 'i'),
  rule(`${B}(got)(ta)${B}`, ' $1 $2 ', 'i'),
  rule(`${B}(lem)(me)${B}`, ' $1 $2 ', 'i'),
  rule(`${B}(more)('n)${B}`, ' $1 $2 ', 'i'),
  rule(`${B}(wan)(na)(?=[${S}])`, ' $1 $2 ', 'i'),
  rule(` ('t)(is)${B}`, ' $1 $2 ', 'i'),
  rule(` ('t)(was)${B}`, ' $1 $2 ', 'i'),
];

function applyAll(text: string, rules: readonly Rule[]): string {
  let out = text;
  for (const [re, replacement] of rules) out = out.replace(re, replacement);
  return out;
}

/** Word tokens of one sentence. */
export function tokenizeSentenceWords(sentence: string): string[] {
  let text = applyAll(sentence, STARTING_QUOTES);
  text = applyAll(text, PUNCTUATION);
  text = text.replace(PARENS_BRACKETS[0], PARENS_BRACKETS[1]);
  text = text.replace(DOUBLE_DASHES[0], DOUBLE_DASHES[1]);
  text = applyAll(` ${text} `, ENDING_QUOTES);
  text = applyAll(text, CONTRACTIONS);
  return pySplit(text);
}

/** Word tokens of a text: sentences first, then words. */
export function tokenizeWords(text: string): string[] {
  return splitSentences(text).flatMap(tokenizeSentenceWords);
}
