import { NLTK_LETTER_CLASS, NLTK_SPACE_CLASS } from '../nltk-text.ts';
import { pyRstrip, pyStrip } from '../py-text.ts';
import {
  ABBREVIATIONS,
  COLLOCATIONS,
  collocationKey,
  ORTHO_BEG_LC,
  ORTHO_LC,
  ORTHO_MID_UC,
  ORTHO_UC,
  orthoContextOf,
  SENTENCE_STARTERS,
} from './english-model.ts';

/**
 * Sentence boundaries as the Punkt algorithm (Kiss and Strunk, 2006) draws them with its pretrained
 * English model, which is what the IFEval reference counts with (`nltk`'s Punkt tokenizer). Only
 * the detection side is here; the model is trained elsewhere and shipped as data.
 *
 * How it decides: every `.`, `?` or `!` followed by punctuation or by whitespace and a token is a
 * candidate. The word before it and the token after it are annotated: `?`/`!` break; a word ending
 * in a period breaks unless it is a known abbreviation; then the token after an abbreviation,
 * initial or number is checked against where that word was seen capitalised in training (the
 * orthographic heuristic) to turn some decisions over.
 */

const S = NLTK_SPACE_CLASS;
/** Characters that cannot appear inside a word (the sentence-final `.` excepted). */
const NON_WORD = `[)";}\\]*:@'({[\\u2018\\u2019\\u201c\\u201d\\xab\\xbb?!]`;
/** Dashes and ellipses count as one token. */
const MULTI_CHAR = `(?:-{2,}|\\.{2,}|(?:\\.[${S}]){2,}\\.)`;
/** Characters that cannot start a word. */
const WORD_START = `[^("\`{\\[:;&#*@)}\\]\\-,]`;

const WORD_TOKEN = new RegExp(
  `${MULTI_CHAR}|(?=${WORD_START})[^${S}]+?(?=[${S}]|$|${NON_WORD}|${MULTI_CHAR}|,(?=$|[${S}]|${NON_WORD}|${MULTI_CHAR}))|[^${S}]`,
  'gu',
);
/** A candidate break; group 1 is what follows it, group 2 the next token when whitespace follows. */
const PERIOD_CONTEXT = new RegExp(`[.?!](?=(${NON_WORD}|[${S}]+([^${S}]+)))`, 'gu');
/** Closing quotes and brackets after a break belong to the sentence before it. */
const BOUNDARY_REALIGNMENT = new RegExp(
  `^["')\\]}\\u2018\\u2019\\u201c\\u201d\\xab\\xbb]+?(?:[${S}]+|(?=--)|$)`,
  'u',
);

const NUMERIC = /^-?[.,]?\p{Nd}[\p{Nd},.-]*\.?$/u;
const INITIAL = new RegExp(`^[${NLTK_LETTER_CLASS}]\\.$`, 'u');
const ELLIPSIS = /^\.\.+$/;
const UPPER_CHAR = /^\p{Uppercase}/u;
const LOWER_CHAR = /^\p{Lowercase}/u;
const PUNCTUATION_TOKENS = new Set([';', ':', ',', '.', '!', '?']);

interface Token {
  tok: string;
  /** Lower-cased, numbers replaced by `##number##`. */
  type: string;
  periodFinal: boolean;
  sentbreak: boolean;
  abbr: boolean;
  ellipsis: boolean;
}

function makeToken(tok: string): Token {
  const lower = tok.toLowerCase();
  return {
    tok,
    type: NUMERIC.test(lower) ? '##number##' : lower,
    periodFinal: tok.endsWith('.'),
    sentbreak: false,
    abbr: false,
    ellipsis: false,
  };
}

function typeNoPeriod(t: Token): string {
  return t.type.length > 1 && t.type.endsWith('.') ? t.type.slice(0, -1) : t.type;
}

function typeNoSentPeriod(t: Token): string {
  return t.sentbreak ? typeNoPeriod(t) : t.type;
}

/** Words of a text, line by line, as Punkt sees them (punctuation split off, periods kept). */
function tokenizeWords(text: string): Token[] {
  const out: Token[] = [];
  for (const line of text.split('\n')) {
    if (pyStrip(line) === '') continue;
    for (const m of line.matchAll(WORD_TOKEN)) out.push(makeToken(m[0]));
  }
  return out;
}

/** Decisions from the word type alone. */
function firstPass(t: Token): void {
  const tok = t.tok;
  if (tok === '.' || tok === '?' || tok === '!') {
    t.sentbreak = true;
  } else if (ELLIPSIS.test(tok)) {
    t.ellipsis = true;
  } else if (t.periodFinal && !tok.endsWith('..')) {
    const stem = tok.slice(0, -1).toLowerCase();
    if (ABBREVIATIONS.has(stem) || ABBREVIATIONS.has(stem.slice(stem.lastIndexOf('-') + 1))) t.abbr = true;
    else t.sentbreak = true;
  }
}

type Ortho = 'yes' | 'no' | 'unknown';

/** Does the token start a sentence, judging by how its word was capitalised in training? */
function orthoHeuristic(t: Token): Ortho {
  if (PUNCTUATION_TOKENS.has(t.tok)) return 'no';
  const context = orthoContextOf(typeNoSentPeriod(t));
  if (UPPER_CHAR.test(t.tok) && context & ORTHO_LC && !(context & ORTHO_MID_UC)) return 'yes';
  if (LOWER_CHAR.test(t.tok) && (context & ORTHO_UC || !(context & ORTHO_BEG_LC))) return 'no';
  return 'unknown';
}

/** Decisions that look at the next token (collocations, abbreviations, initials, numbers). */
function secondPass(t: Token, next: Token | undefined): void {
  if (next === undefined || !t.periodFinal) return;
  const type = typeNoPeriod(t);
  const nextType = typeNoSentPeriod(next);
  const isInitial = INITIAL.test(t.tok);
  if (COLLOCATIONS.has(collocationKey(type, nextType))) {
    t.sentbreak = false;
    t.abbr = true;
    return;
  }
  if ((t.abbr || t.ellipsis) && !isInitial) {
    if (orthoHeuristic(next) === 'yes') {
      t.sentbreak = true;
      return;
    }
    if (UPPER_CHAR.test(next.tok) && SENTENCE_STARTERS.has(nextType)) {
      t.sentbreak = true;
      return;
    }
  }
  if (isInitial || type === '##number##') {
    const ortho = orthoHeuristic(next);
    if (ortho === 'no') {
      t.sentbreak = false;
      t.abbr = true;
      return;
    }
    if (
      ortho === 'unknown' &&
      isInitial &&
      UPPER_CHAR.test(next.tok) &&
      !(orthoContextOf(nextType) & ORTHO_LC)
    ) {
      t.sentbreak = false;
      t.abbr = true;
    }
  }
}

/** True when a sentence break inside `context` is followed by another token. */
function containsSentenceBreak(context: string): boolean {
  const tokens = tokenizeWords(context);
  for (const t of tokens) firstPass(t);
  let found = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    secondPass(t, tokens[i + 1]);
    if (found) return true;
    if (t.sentbreak) found = true;
  }
  return false;
}

/** Index of the last ASCII whitespace in `text`; 0 when there is none (or when it is at 0). */
function lastWhitespaceIndex(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) return i;
  }
  return 0;
}

interface Candidate {
  /** Offset of the `.`, `?` or `!`. */
  index: number;
  /** Offset of the next token when whitespace follows the candidate, else undefined. */
  nextTokenStart: number | undefined;
  /** The word before, the candidate and what follows it: the text the decision reads. */
  context: string;
}

/**
 * Candidates with their decision contexts. A run of candidates inside one word ("acting!!!")
 * is reported once, at its last character, with the whole word as context.
 */
function candidates(text: string): Candidate[] {
  const out: Candidate[] = [];
  let prevStart = 0;
  let prevStop = 0;
  let prev: RegExpExecArray | undefined;
  const emit = (m: RegExpExecArray, wordStart: number, wordStop: number): void => {
    const after = m[1] ?? '';
    const next = m[2];
    out.push({
      index: m.index,
      nextTokenStart: next === undefined ? undefined : m.index + 1 + after.length - next.length,
      context: text.slice(wordStart, wordStop) + m[0] + after,
    });
  };
  PERIOD_CONTEXT.lastIndex = 0;
  for (let m = PERIOD_CONTEXT.exec(text); m !== null; m = PERIOD_CONTEXT.exec(text)) {
    const ws = lastWhitespaceIndex(text.slice(prevStop, m.index));
    const wordStart = ws ? ws + prevStop + 1 : prevStart;
    if (prev !== undefined && prevStop <= wordStart) emit(prev, prevStart, prevStop);
    prev = m;
    prevStart = wordStart;
    prevStop = m.index;
  }
  if (prev !== undefined) emit(prev, prevStart, prevStop);
  return out;
}

/** Sentence spans `[start, end)` of `text`, closing quotes and brackets realigned. */
export function sentenceSpans(text: string): Array<[number, number]> {
  const slices: Array<[number, number]> = [];
  let lastBreak = 0;
  for (const c of candidates(text)) {
    if (!containsSentenceBreak(c.context)) continue;
    slices.push([lastBreak, c.index + 1]);
    lastBreak = c.nextTokenStart ?? c.index + 1;
  }
  slices.push([lastBreak, pyRstrip(text).length]);

  const out: Array<[number, number]> = [];
  let realign = 0;
  for (let i = 0; i < slices.length; i++) {
    const [start0, stop] = slices[i]!;
    const start = start0 + realign;
    const next = slices[i + 1];
    if (next === undefined) {
      if (start < stop) out.push([start, stop]);
      continue;
    }
    const m = BOUNDARY_REALIGNMENT.exec(text.slice(next[0], next[1]));
    if (m !== null) {
      out.push([start, next[0] + pyRstrip(m[0]).length]);
      realign = m[0].length;
    } else {
      realign = 0;
      if (start < stop) out.push([start, stop]);
    }
  }
  return out;
}

/** The sentences of `text`. */
export function splitSentences(text: string): string[] {
  return sentenceSpans(text).map(([s, e]) => text.slice(s, e));
}

/** Number of sentences in `text`. */
export function countSentences(text: string): number {
  return sentenceSpans(text).length;
}
