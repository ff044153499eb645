import { Count, defineInstruction, kwargs, NonEmptyText, quotedList } from '../instruction.ts';
import { escapeRegExp, PY_DIGIT_CLASS, PY_SPACE_CLASS, pyStrip, pyStripChars } from '../py-text.ts';
import { cachedRegExp, countMatches } from './regex-cache.ts';

const S = PY_SPACE_CLASS;
// A line (after optional leading whitespace, which may span blank lines) starting with `*` not
// followed by another `*`, or with `-`.
const STAR_BULLET = new RegExp(`(?<![^\\n])[${S}]*\\*[^*][^\\n]*`, 'gu');
const DASH_BULLET = new RegExp(`(?<![^\\n])[${S}]*-[^\\n]*`, 'gu');

export const numberBulletLists = defineInstruction({
  id: 'detectable_format:number_bullet_lists',
  description: 'Exactly the given number of markdown bullet points (lines starting with `*` or `-`).',
  args: kwargs({ num_bullets: Count }),
  describe: ({ num_bullets }) => `Exactly ${num_bullets} markdown bullet points.`,
  check: (text, { num_bullets }) =>
    countMatches(STAR_BULLET, text.text) + countMatches(DASH_BULLET, text.text) === num_bullets,
});

const CONSTRAINED_RESPONSES = ['My answer is yes.', 'My answer is no.', 'My answer is maybe.'];

export const constrainedResponse = defineInstruction({
  id: 'detectable_format:constrained_response',
  description: 'The response contains one of "My answer is yes.", "My answer is no.", "My answer is maybe.".',
  args: kwargs({}),
  describe: () => `Answers with one of ${quotedList(CONSTRAINED_RESPONSES)}.`,
  check: (text) => CONSTRAINED_RESPONSES.some((option) => text.stripped.includes(option)),
});

const HIGHLIGHT = /\*[^\n*]*\*/g;
const DOUBLE_HIGHLIGHT = /\*\*[^\n*]*\*\*/g;

export const numberHighlightedSections = defineInstruction({
  id: 'detectable_format:number_highlighted_sections',
  description: 'At least the given number of non-empty markdown highlights, *like this* or **like this**.',
  args: kwargs({ num_highlights: Count }),
  describe: ({ num_highlights }) =>
    `At least ${num_highlights} sections highlighted with markdown, *like this*.`,
  check: (text, { num_highlights }) => {
    let count = 0;
    for (const m of text.text.matchAll(HIGHLIGHT)) if (pyStrip(pyStripChars(m[0], '*')) !== '') count++;
    for (const m of text.text.matchAll(DOUBLE_HIGHLIGHT)) if (pyStrip(m[0].slice(2, -2)) !== '') count++;
    return count >= num_highlights;
  },
});

export const multipleSections = defineInstruction({
  id: 'detectable_format:multiple_sections',
  description:
    'At least the given number of sections, each introduced by the marker and a number ("Section 1").',
  args: kwargs({ section_spliter: NonEmptyText, num_sections: Count }),
  describe: ({ section_spliter, num_sections }) =>
    `At least ${num_sections} sections, each starting with "${pyStrip(section_spliter)} X" (X its number).`,
  check: (text, { section_spliter, num_sections }) => {
    const marker = escapeRegExp(pyStrip(section_spliter));
    const splitter = cachedRegExp(`[${S}]?${marker}[${S}]?[${PY_DIGIT_CLASS}]+[${S}]?`, 'gu');
    return countMatches(splitter, text.text) >= num_sections;
  },
});

/** Python's `json.loads` also accepts the bare constants NaN, Infinity and -Infinity. */
const JSON_STRING_OR_CONSTANT = /"(?:[^"\\]|\\.)*"|-?Infinity|(?<!-)NaN/gs;

export function isPythonJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    if (!/NaN|Infinity/.test(text)) return false;
  }
  try {
    JSON.parse(text.replace(JSON_STRING_OR_CONSTANT, (m) => (m.startsWith('"') ? m : '0')));
    return true;
  } catch {
    return false;
  }
}

export const jsonFormat = defineInstruction({
  id: 'detectable_format:json_format',
  description: 'The entire output is JSON, optionally inside a markdown code fence.',
  args: kwargs({}),
  describe: () => 'The entire output is valid JSON (a markdown code fence around it is allowed).',
  check: (text) => {
    let body = text.stripped;
    for (const fence of ['```json', '```Json', '```JSON', '```']) {
      if (body.startsWith(fence)) body = body.slice(fence.length);
    }
    if (body.endsWith('```')) body = body.slice(0, -3);
    return isPythonJson(pyStrip(body));
  },
});

const TITLE = /<<[^\n]+>>/g;

export const title = defineInstruction({
  id: 'detectable_format:title',
  description: 'A title wrapped in double angular brackets, such as <<poem of joy>>.',
  args: kwargs({}),
  describe: () => 'Contains a title in double angular brackets, such as <<poem of joy>>.',
  check: (text) => {
    for (const m of text.text.matchAll(TITLE)) {
      if (pyStrip(m[0].replace(/^<+/, '').replace(/>+$/, '')) !== '') return true;
    }
    return false;
  },
});

export const detectableFormatInstructions = [
  numberBulletLists,
  constrainedResponse,
  numberHighlightedSections,
  multipleSections,
  jsonFormat,
  title,
];
