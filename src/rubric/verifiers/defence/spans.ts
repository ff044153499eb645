import { z } from 'zod';
import { letterReadings, normaliseText, stripInvisible } from './normalise-text.ts';

/**
 * Span finding shared by the defence verifiers. The rules look for tricks a policy plays on its grader;
 * to keep precision high they skip text inside quotation marks (a character in a story may say "great
 * question") and spans the prompt itself contains (the user asked for that wording).
 */

/** Character ranges [start, end) inside quotation marks: "...", “...”, 「...」, 『...』. */
export function quotedRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let straight = -1;
  const open: Array<{ ch: string; at: number }> = [];
  const closers: Record<string, string> = { '“': '”', '「': '」', '『': '』' };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      if (straight < 0) straight = i;
      else {
        ranges.push([straight, i + 1]);
        straight = -1;
      }
    } else if (ch in closers) {
      open.push({ ch, at: i });
    } else if (open.length > 0 && ch === closers[open.at(-1)!.ch]) {
      ranges.push([open.pop()!.at, i + 1]);
    } else if (ch === '\n' && text[i + 1] === '\n') {
      // Dialogue conventions reopen quotes in each paragraph; an unclosed quote ends with its paragraph.
      if (straight >= 0) ranges.push([straight, i]);
      for (const o of open) ranges.push([o.at, i]);
      straight = -1;
      open.length = 0;
    }
  }
  if (straight >= 0) ranges.push([straight, text.length]);
  for (const o of open) ranges.push([o.at, text.length]);
  return ranges;
}

export interface FoundSpan {
  text: string;
  index: number;
}

/**
 * The first match of any pattern in `text[from, to)` that is not inside quotation marks (unless
 * `inQuotes` is allowed) and whose text does not occur in the prompt. Patterns need the `g` flag.
 * Matching runs on the normalised text (NFKC, invisible and control characters removed; see
 * normalise-text.ts) and, with `letterReadings`, also on its digits-for-letters readings; the span
 * quotes the original text (less invisible characters) at the original's index.
 */
export function findSpan(options: {
  text: string;
  prompt: string;
  patterns: readonly RegExp[];
  from?: number;
  to?: number;
  inQuotes?: boolean;
  letterReadings?: boolean;
}): FoundSpan | undefined {
  const { patterns } = options;
  const norm = normalisedOnce(options.text);
  const text = norm.text;
  const toNormal = (at: number) => {
    const k = norm.toOriginal.findIndex((o) => o >= at);
    return k === -1 ? text.length : k;
  };
  const from = options.from === undefined ? 0 : toNormal(options.from);
  const to = options.to === undefined ? text.length : toNormal(options.to);
  const prompt = normalise(normaliseText(options.prompt).text);
  const quoted = options.inQuotes === true ? [] : quotedRanges(text);
  const readings = [text, ...(options.letterReadings === true ? letterReadings(text) : [])];
  let best: { start: number; end: number } | undefined;
  for (const reading of readings) {
    for (const re of patterns) {
      re.lastIndex = from;
      for (let m = re.exec(reading); m !== null; m = re.exec(reading)) {
        if (m[0] === '') {
          re.lastIndex++;
          continue;
        }
        // Patterns may consume a leading boundary (newline, punctuation); report the words themselves.
        const lead = /^[\s*_#>"“]*/.exec(m[0])![0].length;
        const index = m.index + lead;
        if (index >= to) break;
        const span = m[0].slice(lead).trimEnd();
        if (quoted.some(([s, e]) => index >= s && index < e)) continue;
        if (prompt.includes(normalise(text.slice(index, index + span.length)))) continue;
        if (prompt.includes(normalise(span))) continue;
        if (best === undefined || index < best.start) best = { start: index, end: index + span.length };
        break;
      }
    }
  }
  if (best === undefined) return undefined;
  // Quoted as written (less invisible characters), at the original's index.
  const start = norm.toOriginal[best.start]!;
  const written = stripInvisible(options.text.slice(start, norm.toOriginal[best.end]!)).trimEnd();
  return { text: written, index: start };
}

// The rules of one response search the same text several times; normalise it once.
let lastNormalised: { text: string; norm: ReturnType<typeof normaliseText> } | undefined;
function normalisedOnce(text: string): ReturnType<typeof normaliseText> {
  if (lastNormalised?.text !== text) lastNormalised = { text, norm: normaliseText(text) };
  return lastNormalised.norm;
}

function normalise(s: string): string {
  return s.toLowerCase().replace(/[’‘]/g, "'").replace(/\s+/g, ' ');
}

/** `"span" (at character N)`, shortened when long. */
export function describeSpan(span: FoundSpan): string {
  const t = span.text.length > 120 ? `${span.text.slice(0, 117)}...` : span.text;
  return `${JSON.stringify(t)} (at character ${span.index})`;
}

/** Builds a case-insensitive global pattern from a template whose {NAME} slots are alternations. */
export function pattern(template: string, slots: Record<string, readonly string[]> = {}): RegExp {
  const source = template.replace(/\{([A-Z_]+)\}/g, (_, name: string) => {
    const words = slots[name];
    if (words === undefined) throw new Error(`pattern slot {${name}} has no words`);
    return `(?:${words.join('|')})`;
  });
  return new RegExp(source, 'giu');
}

/** The defence rules take no required parameters; unknown keys are still rejected. */
export const NoParams = z.strictObject({});
export type NoParams = z.output<typeof NoParams>;
