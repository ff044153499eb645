import {
  type GramEntry,
  gramProbabilities,
  type LanguageProfiles,
  languageProfiles,
  TWO_GRAM,
} from './profiles.ts';
import { PythonRandom } from './python-random.ts';

/**
 * Language identification as the IFEval reference does it: the `langdetect` algorithm (naive Bayes
 * over character 1-3-grams, sampled at random in 7 trials) with the generator seeded to 0, so the
 * same text always gets the same code. Reimplemented step by step, drawing the same random numbers,
 * so that borderline texts get the reference's answer rather than merely a plausible one.
 */

const ALPHA = 0.5;
const ALPHA_WIDTH = 0.05;
const TRIALS = 7;
const ITERATION_LIMIT = 1000;
const PROB_THRESHOLD = 0.1;
const CONV_THRESHOLD = 0.99999;
const BASE_FREQ = 10000;
const MAX_TEXT_LENGTH = 10000;
const SEED = 0;
const SPACE = 0x20;

/** Returned when no language scores above the threshold. */
export const UNKNOWN_LANGUAGE = 'unknown';

const URL = /https?:\/\/[-_.?&~;+=/#0-9A-Za-z]{1,2076}/g;
const MAIL = /[-_.0-9A-Za-z]{1,64}@[-_0-9A-Za-z]{1,255}[-_.0-9A-Za-z]{1,255}/g;

let viPattern: RegExp | undefined;

/** Vietnamese: a vowel followed by a combining tone mark becomes the precomposed letter. */
function normalizeVietnamese(profiles: LanguageProfiles, text: string): string {
  viPattern ??= new RegExp(`([${profiles.viToNormalize}])([${profiles.viMarks}])`, 'g');
  return text.replace(
    viPattern,
    (_m, letter: string, mark: string) =>
      profiles.viNormalized[profiles.viMarks.indexOf(mark)]![profiles.viToNormalize.indexOf(letter)]!,
  );
}

/** Maps a code point to its class representative, or to a space for what carries no signal. */
function normalizeChar(profiles: LanguageProfiles, cp: number): number {
  if (cp <= 0x7f) return cp < 0x41 || (cp > 0x5a && cp < 0x61) || cp > 0x7a ? SPACE : cp;
  if (cp <= 0xff) return profiles.latin1Excluded.indexOf(String.fromCharCode(cp)) >= 0 ? SPACE : cp;
  if (cp >= 0x180 && cp <= 0x24f) {
    // Romanian: comma below -> cedilla
    if (cp === 0x219) return 0x15f;
    if (cp === 0x21b) return 0x163;
    return cp;
  }
  if (cp >= 0x600 && cp <= 0x6ff) return cp === 0x6cc ? 0x64a : cp; // Farsi yeh -> Arabic yeh
  if (cp >= 0x1e00 && cp <= 0x1eff) return cp >= 0x1ea0 ? 0x1ec3 : cp;
  if (cp >= 0x2000 && cp <= 0x206f) return SPACE; // general punctuation
  if (cp >= 0x3040 && cp <= 0x309f) return 0x3042; // hiragana
  if (cp >= 0x30a0 && cp <= 0x30ff) return 0x30a2; // katakana
  if ((cp >= 0x3100 && cp <= 0x312f) || (cp >= 0x31a0 && cp <= 0x31bf)) return 0x3105; // bopomofo
  if (cp >= 0x4e00 && cp <= 0x9fff) return profiles.cjkMap.get(cp) ?? cp;
  if (cp >= 0xac00 && cp <= 0xd7af) return 0xac00; // hangul syllables
  return cp;
}

const UPPER = /^\p{Uppercase}$/u;

/**
 * Per-code-unit tables for the BMP, built once: the normalised character, and whether that
 * character is upper case (Python `isupper`). Extraction runs over every character of every text,
 * so table lookups instead of range tests and regular expressions are most of its speed.
 */
interface CharTables {
  normalized: Uint16Array;
  upper: Uint8Array;
}

let tables: CharTables | undefined;

function charTables(profiles: LanguageProfiles): CharTables {
  if (tables !== undefined) return tables;
  const normalized = new Uint16Array(0x10000);
  const upper = new Uint8Array(0x10000);
  for (let cp = 0; cp < 0x10000; cp++) {
    normalized[cp] = normalizeChar(profiles, cp);
    upper[cp] = UPPER.test(String.fromCharCode(cp)) ? 1 : 0;
  }
  tables = { normalized, upper };
  return tables;
}

function isUpper(t: CharTables, cp: number): boolean {
  return cp < 0x10000 ? t.upper[cp] === 1 : UPPER.test(String.fromCodePoint(cp));
}

/**
 * The text as the reference prepares it (URLs and e-mail addresses blanked, Vietnamese tone marks
 * composed, runs of spaces collapsed, at most 10,000 characters, Latin letters dropped from a text
 * mostly in another script), as code points.
 */
function prepare(profiles: LanguageProfiles, input: string): Int32Array {
  // The substitutions only matter when their anchor character is present; skipping them saves a
  // backtracking scan of the whole text.
  let text = input.includes('://') ? input.replace(URL, ' ') : input;
  if (text.includes('@')) text = text.replace(MAIL, ' ');
  text = normalizeVietnamese(profiles, text);
  const cps = new Int32Array(Math.min(text.length, MAX_TEXT_LENGTH));
  let length = 0;
  let latin = 0;
  let nonLatin = 0;
  let pre = -1;
  for (let i = 0, count = 0; i < text.length && count < MAX_TEXT_LENGTH; count++) {
    let cp = text.charCodeAt(i++);
    if (cp >= 0xd800 && cp <= 0xdbff && i < text.length) {
      const low = text.charCodeAt(i);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        i++;
      }
    }
    if (cp !== SPACE || pre !== SPACE) {
      cps[length++] = cp;
      if (cp >= 0x41 && cp <= 0x7a) latin++;
      else if (cp >= 0x300) nonLatin++;
    }
    pre = cp;
  }
  if (latin * 2 >= nonLatin) return cps.subarray(0, length);
  // A text mostly in a non-Latin script: drop its Latin letters (brand names, code).
  let kept = 0;
  for (let i = 0; i < length; i++) {
    const cp = cps[i]!;
    if (cp < 0x41 || cp > 0x7a) cps[kept++] = cp;
  }
  return cps.subarray(0, kept);
}

/** The n-grams of the text that some profile knows, in text order (with repeats). */
function extractGrams(profiles: LanguageProfiles, cps: Int32Array): GramEntry[] {
  const t = charTables(profiles);
  const grams = profiles.grams;
  const out: GramEntry[] = [];
  // The window of the last (up to) three normalised characters: a, b, c.
  let a = 0;
  let b = 0;
  let c = SPACE;
  let len = 1;
  let capitalWord = false;
  for (let i = 0; i < cps.length; i++) {
    const raw = cps[i]!;
    const ch = raw < 0x10000 ? t.normalized[raw]! : raw;
    const last = c;
    if (last === SPACE) {
      len = 1;
      capitalWord = false;
      if (ch === SPACE) continue;
    } else if (len >= 3) {
      len = 2;
    }
    a = b;
    b = c;
    c = ch;
    len++;
    if (isUpper(t, ch)) {
      if (isUpper(t, last)) capitalWord = true;
    } else {
      capitalWord = false;
    }
    if (capitalWord) continue; // words in capitals are acronyms, not language evidence
    // Grams holding a character outside the BMP are in no profile.
    if (c > 0xffff) continue;
    if (ch !== SPACE) {
      const entry = grams.getUnigram(c);
      if (entry !== undefined) out.push(entry);
    }
    if (len >= 2 && b <= 0xffff) {
      const entry = grams.get(TWO_GRAM, b, c);
      if (entry !== undefined) out.push(entry);
      if (len >= 3 && a <= 0xffff) {
        const entry3 = grams.get(a, b, c);
        if (entry3 !== undefined) out.push(entry3);
      }
    }
  }
  return out;
}

/**
 * The language code of `text` (one of the 55 profile codes), `UNKNOWN_LANGUAGE` when no language
 * scores above 0.1, or `undefined` when the text has no usable n-gram (the reference raises then).
 */
export function detectLanguage(text: string): string | undefined {
  const profiles = languageProfiles();
  const grams = extractGrams(profiles, prepare(profiles, text));
  if (grams.length === 0) return undefined;
  const langCount = profiles.languages.length;
  const total = new Float64Array(langCount);
  const prob = new Float64Array(langCount);
  const random = new PythonRandom(SEED);
  for (let t = 0; t < TRIALS; t++) {
    prob.fill(1 / langCount);
    const weight = (ALPHA + random.gauss() * ALPHA_WIDTH) / BASE_FREQ;
    for (let i = 0; ; i++) {
      const entry = grams[random.below(grams.length)]!;
      const p = gramProbabilities(profiles, entry);
      for (let j = 0; j < langCount; j++) prob[j]! *= weight + p[j]!;
      if (i % 5 === 0 && (normalize(prob) > CONV_THRESHOLD || i >= ITERATION_LIMIT)) break;
    }
    for (let j = 0; j < langCount; j++) total[j]! += prob[j]! / TRIALS;
  }
  let best = -1;
  for (let j = 0; j < langCount; j++) {
    if (total[j]! > PROB_THRESHOLD && (best < 0 || total[j]! > total[best]!)) best = j;
  }
  return best < 0 ? UNKNOWN_LANGUAGE : profiles.languages[best];
}

/** Scales the probabilities to sum to 1 and returns the largest. */
function normalize(prob: Float64Array): number {
  let sum = 0;
  for (let j = 0; j < prob.length; j++) sum += prob[j]!;
  let max = 0;
  for (let j = 0; j < prob.length; j++) {
    const p = prob[j]! / sum;
    if (max < p) max = p;
    prob[j] = p;
  }
  return max;
}

/** Language codes the detector can return (those of its profiles), sorted. */
export const DETECTABLE_LANGUAGES: readonly string[] = (
  'af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nl no pa pl ' +
  'pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw'
).split(' ');
