import { readFileSync } from 'node:fs';

/**
 * The learned parameters of the English Punkt sentence model that the IFEval reference loads
 * (NLTK's `punkt` / `punkt_tab` English data, trained by Kiss and Strunk on the Wall Street Journal;
 * Apache-2.0, see `../DATA-SOURCES.md`). Abbreviations, collocations and sentence starters are small
 * enough to list here; the orthographic contexts live in `english-ortho.tsv`.
 */

/** Word types (lower case, final period removed) known to be abbreviations. */
export const ABBREVIATIONS: ReadonlySet<string> = new Set(
  (
    '. . |a.a|a.c|a.d|a.g|a.h|a.m|a.m.e|a.s|a.t|adm|ala|ariz|aug|ave|b.f|b.v|bros|c|c.i.t|c.o.m.b|c.v|calif|chg|' +
    'cie|co|col|colo|conn|corp|cos|ct|d|d.c|d.h|d.w|dec|dr|e|e.f|e.h|e.l|e.m|f|f.g|f.j|feb|fla|fri|ft|g|g.d|' +
    'g.f|g.k|ga|gen|h|h.c|h.f|h.m|i.m.s|ill|inc|j.b|j.c|j.j|j.k|j.p|j.r|jan|jr|k|kan|ky|l|l.a|l.f|l.p|lt|ltd|m|' +
    'm.b.a|m.d.c|m.j|maj|messrs|mg|mich|minn|mr|mrs|ms|n|n.c|n.d|n.h|n.j|n.m|n.v|n.y|nev|nov|oct|ok|okla|ore|p|' +
    'p.a.m|p.m|pa|ph.d|prof|r|r.a|r.h|r.i|r.j|r.k|r.t|rep|reps|s|s.a|s.a.y|s.c|s.g|s.p.a|s.s|sen|sep|sept|sr|' +
    'st|sw|t|t.j|tenn|tues|u.k|u.n|u.s|u.s.a|u.s.s.r|v|va|vs|vt|w|w.c|w.r|w.va|w.w|wash|wed|wis|yr'
  ).split('|'),
);

/** Word types that often start a sentence: an abbreviation followed by one of these ends a sentence. */
export const SENTENCE_STARTERS: ReadonlySet<string> = new Set(
  (
    'according although among both but despite even he however i if in indeed instead it many meanwhile ' +
    'moreover most nevertheless nonetheless nor sales separately similarly since so some the there these they ' +
    'this though thus under when while yet'
  ).split(' '),
);

/** Pairs "type before the period" + "type after" that do not straddle a sentence break. */
export const COLLOCATIONS: ReadonlySet<string> = new Set([
  ...(
    'abreast aes business cbot colgate commodities cooper corrections credit dividend financing genentech ' +
    'henley insider international leisure letters notable pay-fone pegasus pepper review rj wedgestone who zimmer'
  )
    .split(' ')
    .map((w) => `##number##\u0000${w}`),
  ...'b edelman|b levine|b smith|b stewart|b wigton|i magnin|i toussie|j aron|j fialka|j walter|o ludcke'
    .split('|')
    .map((pair) => pair.replace(' ', '\u0000')),
]);

/** Key of a collocation pair in `COLLOCATIONS`. */
export function collocationKey(before: string, after: string): string {
  return `${before}\u0000${after}`;
}

// Orthographic context flags: where a word type was seen upper- or lower-case in training.
export const ORTHO_BEG_UC = 1 << 1;
export const ORTHO_MID_UC = 1 << 2;
export const ORTHO_UNK_UC = 1 << 3;
export const ORTHO_BEG_LC = 1 << 4;
export const ORTHO_MID_LC = 1 << 5;
export const ORTHO_UNK_LC = 1 << 6;
export const ORTHO_UC = ORTHO_BEG_UC | ORTHO_MID_UC | ORTHO_UNK_UC;
export const ORTHO_LC = ORTHO_BEG_LC | ORTHO_MID_LC | ORTHO_UNK_LC;

let orthoContext: Map<string, number> | undefined;

/**
 * Orthographic context of a word type (0 when unseen). The data file keeps only the types seen in
 * lower case at least once: every decision the tokenizer takes from a context without a lower-case
 * flag is the same as for an unseen type, so the other ~5,700 entries are left out.
 */
export function orthoContextOf(type: string): number {
  if (orthoContext === undefined) orthoContext = loadOrthoContext();
  return orthoContext.get(type) ?? 0;
}

function loadOrthoContext(): Map<string, number> {
  const text = readFileSync(new URL('./english-ortho.tsv', import.meta.url), 'utf8');
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) map.set(line.slice(0, tab), Number(line.slice(tab + 1)));
  }
  return map;
}
