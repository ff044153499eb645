import { z } from 'zod';

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
 */
export function findSpan(options: {
  text: string;
  prompt: string;
  patterns: readonly RegExp[];
  from?: number;
  to?: number;
  inQuotes?: boolean;
}): FoundSpan | undefined {
  const { text, patterns } = options;
  const from = options.from ?? 0;
  const to = options.to ?? text.length;
  const prompt = normalise(options.prompt);
  const quoted = options.inQuotes === true ? [] : quotedRanges(text);
  let best: FoundSpan | undefined;
  for (const re of patterns) {
    re.lastIndex = from;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
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
      if (prompt.includes(normalise(span))) continue;
      if (best === undefined || index < best.index) best = { text: span, index };
      break;
    }
  }
  return best;
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
