import { z } from 'zod';
import { defineVerifier } from '../types.ts';

const FENCE_BLOCK = /^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[ \t]*$/gm;

/** Text with fenced code blocks removed, so `# comment` inside code is not a heading. */
function prose(text: string): string {
  return text.replace(FENCE_BLOCK, '');
}

function isJson(text: string): boolean {
  let body = text.trim();
  const fenced = /^```(?:json)?[ \t]*\n([\s\S]*?)\n```$/i.exec(body);
  if (fenced !== null) body = fenced[1]!.trim();
  if (!body.startsWith('{') && !body.startsWith('[')) return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

const hasCased = (text: string) => text.toLowerCase() !== text.toUpperCase();

/** Each feature: what it is, and a detector. Markdown detectors look outside code blocks only. */
const FEATURES = {
  heading: {
    what: 'a markdown heading (# ...)',
    detect: (t: string) => /^ {0,3}#{1,6}[ \t]+\S/m.test(prose(t)),
  },
  'bullet-list': {
    what: 'a bulleted list item (- ...)',
    detect: (t: string) => /^[ \t]*[-*+][ \t]+\S/m.test(prose(t)),
  },
  'numbered-list': {
    what: 'a numbered list item (1. ...)',
    detect: (t: string) => /^[ \t]*\d{1,3}[.)][ \t]+\S/m.test(prose(t)),
  },
  'code-fence': { what: 'a fenced code block', detect: (t: string) => /^[ \t]*(```|~~~)/m.test(t) },
  table: {
    what: 'a markdown table',
    detect: (t: string) =>
      /^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$/m.test(prose(t)),
  },
  bold: { what: 'bold text (**...**)', detect: (t: string) => /\*\*[^*\n]+\*\*|__[^_\n]+__/.test(prose(t)) },
  link: { what: 'a markdown link [..](..)', detect: (t: string) => /\[[^\]\n]+\]\([^)\s]+\)/.test(prose(t)) },
  json: {
    what: 'the whole response is a JSON object or array (optionally in one ``` fence)',
    detect: isJson,
  },
  'all-lowercase': {
    what: 'only lower-case letters',
    detect: (t: string) => hasCased(t) && t === t.toLowerCase(),
  },
  'all-uppercase': {
    what: 'only upper-case letters',
    detect: (t: string) => hasCased(t) && t === t.toUpperCase(),
  },
  emoji: { what: 'an emoji', detect: (t: string) => /\p{Extended_Pictographic}/u.test(t) },
  'em-dash': { what: 'an em dash (—)', detect: (t: string) => t.includes('—') },
} as const satisfies Record<string, { what: string; detect: (text: string) => boolean }>;

export type FormatFeature = keyof typeof FEATURES;
const Feature = z.enum(Object.keys(FEATURES) as [FormatFeature, ...FormatFeature[]]);

export const FormatParams = z
  .strictObject({
    /** Features the response must show. */
    require: z.array(Feature).default([]),
    /** Features the response must not show. */
    forbid: z.array(Feature).default([]),
  })
  .superRefine((p, ctx) => {
    if (p.require.length + p.forbid.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['require'],
        message: 'at least one feature in require or forbid',
      });
    }
    p.forbid.forEach((f, i) => {
      if (p.require.includes(f))
        ctx.addIssue({ code: 'custom', path: ['forbid', i], message: `'${f}' not also in require` });
    });
  });
export type FormatParams = z.output<typeof FormatParams>;

/** Presence or absence of format features (markdown, JSON, case, emoji). Pass only if all hold. */
export const format = defineVerifier<FormatParams>({
  name: 'text.format',
  description: 'required and forbidden format features: markdown elements, JSON, letter case, emoji',
  params: FormatParams,
  verify({ response, params }) {
    const failures: string[] = [];
    for (const f of params.require)
      if (!FEATURES[f].detect(response)) failures.push(`missing ${FEATURES[f].what}`);
    for (const f of params.forbid) if (FEATURES[f].detect(response)) failures.push(`has ${FEATURES[f].what}`);
    if (failures.length > 0) return { score: 0, reason: failures.join('; ') };
    const checked = [...params.require.map((f) => `+${f}`), ...params.forbid.map((f) => `-${f}`)].join(' ');
    return { score: 1, reason: `format as required (${checked})` };
  },
});
