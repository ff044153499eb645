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
  // Checked shallowly: validating 184,000 counts one by one would triple the load time.
  freq: z.array(
    z.custom<Record<string, number>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v)),
  ),
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
 * split in two 32-bit halves (first unit; second and third units), stored with the entry index in
 * one array so that a probe touches one cache line; lookups run for every character of every
 * detected text and allocate nothing.
 */
export class GramTable {
  /** Triples [hi, lo, entry index + 1]; index 0 marks an empty slot. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** 1-grams by code unit (entry index + 1, 0 for none): the most frequent lookup, made direct. */
  readonly #unigrams = new Int32Array(0x10000);
  readonly entries: GramEntry[] = [];

  constructor(capacity: number) {
    let size = 1;
    while (size < capacity * 2) size <<= 1;
    this.#slots = new Int32Array(size * 3);
    this.#mask = size - 1;
  }

  /** Keys: a 1-gram is (ONE_GRAM, 0, c), a 2-gram (TWO_GRAM, b, c), a 3-gram (a, b, c). */
  #find(hi: number, lo: number): number {
    const slots = this.#slots;
    let h = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & this.#mask;
    while (slots[i * 3 + 2] !== 0 && (slots[i * 3] !== hi || slots[i * 3 + 1] !== lo))
      i = (i + 1) & this.#mask;
    return i * 3;
  }

  get(a: number, b: number, c: number): GramEntry | undefined {
    const slot = this.#slots[this.#find(a, (b << 16) | c) + 2]!;
    return slot === 0 ? undefined : this.entries[slot - 1];
  }

  getUnigram(c: number): GramEntry | undefined {
    const slot = this.#unigrams[c]!;
    return slot === 0 ? undefined : this.entries[slot - 1];
  }

  getOrAdd(a: number, b: number, c: number, n: 1 | 2 | 3): GramEntry {
    const at = this.#find(a, (b << 16) | c);
    const slot = this.#slots[at + 2]!;
    if (slot !== 0) return this.entries[slot - 1]!;
    const entry: GramEntry = { n, langs: [], counts: [], dense: undefined };
    this.entries.push(entry);
    this.#slots[at] = a;
    this.#slots[at + 1] = (b << 16) | c;
    this.#slots[at + 2] = this.entries.length;
    if (a === ONE_GRAM) this.#unigrams[c] = this.entries.length;
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
  const distinct = new Set<string>();
  for (const freq of data.freq) for (const gram in freq) distinct.add(gram);
  const grams = new GramTable(distinct.size);
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
