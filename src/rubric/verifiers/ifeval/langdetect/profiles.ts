import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';

/**
 * The 55 n-gram language profiles of langdetect (Nakatani Shuyo's language-detection, as packaged in
 * the Python `langdetect` 1.0.9; Apache-2.0, see `../DATA-SOURCES.md`), with the character tables its
 * normaliser uses. Stored gzipped (0.9 MB) and loaded on the first detection.
 */
const ProfileData = z.object({
  languages: z.array(z.string()),
  nWords: z.array(z.tuple([z.number(), z.number(), z.number()])),
  freq: z.array(z.record(z.string(), z.number())),
  latin1Excluded: z.string(),
  cjkClasses: z.array(z.string()),
  viToNormalize: z.string(),
  viMarks: z.string(),
  viNormalized: z.array(z.string()),
});

/** Probabilities of one n-gram under each language, kept sparse until first used. */
export interface GramEntry {
  /** Length of the n-gram (1 to 3). */
  n: 1 | 2 | 3;
  /** Language indexes with a non-zero probability. */
  langs: number[];
  /** Raw counts, parallel to `langs`. */
  counts: number[];
  /** Dense probabilities, built on first use. */
  dense: Float64Array | undefined;
}

/**
 * Open-addressing hash table from an n-gram of up to three BMP code units to its entry. Keys are
 * split in two 32-bit halves (first unit; second and third units) so that lookups, which run for
 * every character of every detected text, allocate nothing.
 */
export class GramTable {
  readonly #hi: Int32Array;
  readonly #lo: Int32Array;
  readonly #slot: Int32Array;
  readonly #mask: number;
  readonly entries: GramEntry[] = [];

  constructor(capacity: number) {
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.#hi = new Int32Array(size);
    this.#lo = new Int32Array(size);
    this.#slot = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
  }

  /** Keys: a 1-gram is (ONE_GRAM, 0, c), a 2-gram (TWO_GRAM, b, c), a 3-gram (a, b, c). */
  #find(hi: number, lo: number): number {
    let h = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & this.#mask;
    while (this.#slot[i] !== -1 && (this.#hi[i] !== hi || this.#lo[i] !== lo)) i = (i + 1) & this.#mask;
    return i;
  }

  get(a: number, b: number, c: number): GramEntry | undefined {
    const i = this.#find(a, (b << 16) | c);
    const slot = this.#slot[i]!;
    return slot < 0 ? undefined : this.entries[slot];
  }

  getOrAdd(a: number, b: number, c: number, n: 1 | 2 | 3): GramEntry {
    const i = this.#find(a, (b << 16) | c);
    const slot = this.#slot[i]!;
    if (slot >= 0) return this.entries[slot]!;
    const entry: GramEntry = { n, langs: [], counts: [], dense: undefined };
    this.#hi[i] = a;
    this.#lo[i] = (b << 16) | c;
    this.#slot[i] = this.entries.length;
    this.entries.push(entry);
    return entry;
  }
}

/** First key part of 1- and 2-grams (3-grams put their first code unit there). */
export const ONE_GRAM = -1;
export const TWO_GRAM = -2;

export interface LanguageProfiles {
  /** Language codes in the order the reference loaded them (its directory listing). */
  languages: string[];
  nWords: Array<[number, number, number]>;
  grams: GramTable;
  latin1Excluded: string;
  /** Kanji -> representative of its class. */
  cjkMap: Map<number, number>;
  viToNormalize: string;
  viMarks: string;
  viNormalized: string[];
}

let loaded: LanguageProfiles | undefined;

export function languageProfiles(): LanguageProfiles {
  if (loaded === undefined) loaded = load();
  return loaded;
}

function load(): LanguageProfiles {
  const raw = gunzipSync(readFileSync(new URL('./profiles.json.gz', import.meta.url))).toString('utf8');
  const data = ProfileData.parse(JSON.parse(raw));
  let total = 0;
  for (const freq of data.freq) total += Object.keys(freq).length;
  const grams = new GramTable(total);
  data.freq.forEach((freq, lang) => {
    for (const [gram, count] of Object.entries(freq)) {
      const n = gram.length;
      // Profiles hold only 1-3-grams of BMP characters; anything else could never be looked up.
      if (n < 1 || n > 3) continue;
      const c = gram.charCodeAt(n - 1);
      const b = n >= 2 ? gram.charCodeAt(n - 2) : 0;
      const a = n === 3 ? gram.charCodeAt(0) : n === 2 ? TWO_GRAM : ONE_GRAM;
      const entry = grams.getOrAdd(a, b, c, n as 1 | 2 | 3);
      entry.langs.push(lang);
      entry.counts.push(count);
    }
  });
  const cjkMap = new Map<number, number>();
  for (const cls of data.cjkClasses) {
    const representative = cls.charCodeAt(0);
    for (let i = 0; i < cls.length; i++) cjkMap.set(cls.charCodeAt(i), representative);
  }
  return {
    languages: data.languages,
    nWords: data.nWords,
    grams,
    latin1Excluded: data.latin1Excluded,
    cjkMap,
    viToNormalize: data.viToNormalize,
    viMarks: data.viMarks,
    viNormalized: data.viNormalized,
  };
}

/** Dense per-language probabilities of an n-gram: count / number of n-grams of that length. */
export function gramProbabilities(profiles: LanguageProfiles, entry: GramEntry): Float64Array {
  if (entry.dense !== undefined) return entry.dense;
  const dense = new Float64Array(profiles.languages.length);
  entry.langs.forEach((lang, i) => {
    dense[lang] = entry.counts[i]! / profiles.nWords[lang]![entry.n - 1]!;
  });
  entry.dense = dense;
  return dense;
}
