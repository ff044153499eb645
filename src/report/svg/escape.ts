/**
 * Text for HTML and SVG markup. `escapeMarkup` makes any string safe inside element content and
 * double-quoted attributes; `visibleText` also shows control characters (which sampled answers of a
 * small model contain) as their Unicode control pictures instead of letting the parser drop them.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * C0 controls other than tab and newline become U+2400 + code (U+0000 -> ␀), DEL becomes ␡, and a
 * lone surrogate becomes U+FFFD; the result is escaped for markup.
 */
export function visibleText(text: string): string {
  const shown = text
    .replace(/[\u0000-\u0008\u000b-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/\u007f/g, '\u2421')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return escapeMarkup(shown);
}
