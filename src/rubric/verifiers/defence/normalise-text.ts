/**
 * Text as the defence rules match it. A policy can hide an instruction to its grader from a pattern
 * while a reader (or an LLM judge) still sees it: zero-width characters inside words ("ig\u200Bnore"),
 * compatibility forms (fullwidth "ｉｇｎｏｒｅ", ligatures, circled letters), control characters, or
 * digits for letters ("1gn0re prev10us 1nstruct10ns"). The rules match on the normalised text and
 * report spans of the original, through `toOriginal`.
 */

/**
 * Removed before matching: control characters, zero-width and invisible format characters (soft
 * hyphen, joiners, bidi marks, variation selectors, fillers, BOM) and tag characters. Code point
 * ranges rather than a character class: some of these combine with what precedes them.
 */
const INVISIBLE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0000, 0x0008],
  [0x000b, 0x000c],
  [0x000e, 0x001f],
  [0x007f, 0x009f],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xe0000, 0xe007f],
];

function isInvisible(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return INVISIBLE_RANGES.some(([lo, hi]) => cp >= lo && cp <= hi);
}
const MARK = /\p{M}/u;

export interface NormalisedText {
  text: string;
  /** Index in the original text of each index of `text` (one more entry: the original length). */
  toOriginal: number[];
}

/**
 * NFKC, applied to each base character with its combining marks so the index map stays exact, after
 * removing invisible characters. Letters are lower-cased only by the patterns (they are `i`).
 */
export function normaliseText(original: string): NormalisedText {
  let text = '';
  const toOriginal: number[] = [];
  const chars = [...original];
  let offset = 0;
  for (let i = 0; i < chars.length; ) {
    const start = offset;
    let cluster = '';
    // A base character and the marks that follow it (skipping invisible characters between them).
    do {
      const ch = chars[i]!;
      offset += ch.length;
      i++;
      if (!isInvisible(ch)) cluster += ch;
    } while (i < chars.length && (MARK.test(chars[i]!) || isInvisible(chars[i]!)));
    const normal = cluster.normalize('NFKC');
    for (let k = 0; k < normal.length; k++) toOriginal.push(start);
    text += normal;
  }
  toOriginal.push(original.length);
  return { text, toOriginal };
}

/** `text` without the invisible characters normalisation removes (for quoting what was written). */
export function stripInvisible(text: string): string {
  return [...text].filter((ch) => !isInvisible(ch)).join('');
}

/** Digits and signs written for letters, by the letter they stand for (1 has two readings). */
const LEET: ReadonlyArray<Readonly<Record<string, string>>> = [
  { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '|': 'i' },
  { '0': 'o', '1': 'l', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '|': 'l' },
];

/**
 * Readings of `text` with digits for letters spelled out: only inside words that mix letters with
 * such digits or signs ("pr3v10us" becomes "previous"), so "10/10" and "2 + 2" stay as written. Each
 * reading has the same length as `text`, so indices carry over unchanged.
 */
export function letterReadings(text: string): string[] {
  if (!/[a-z][0-9@$|]|[0-9@$|][a-z]/i.test(text)) return [];
  // A doubled 1 reads as "ll" in both readings ("fu11", "a11"), a single one as i or l.
  return LEET.map((table) =>
    text.replace(/[\p{L}0-9@$|]+/gu, (word) =>
      /\p{L}/u.test(word) && /[0-9@$|]/.test(word)
        ? word.replace(/11/g, 'll').replace(/[0-9@$|]/g, (c) => table[c] ?? c)
        : word,
    ),
  );
}
