import type { TextTokenizer } from '../../models/tokenizer/text-tokenizer.ts';

/**
 * Each token's text as it appears inside a longer decoded text, for constrained decoding: null for
 * special tokens and for pieces of a UTF-8 character (they decode to U+FFFD alone), which
 * constrained text never contains. A token is decoded after an anchor token and the anchor's text
 * cut off, so that decoders which drop a leading space at the start of a text (SentencePiece's
 * metaspace) keep it here, as they do mid-text.
 */
export function tokenTexts(tokenizer: TextTokenizer): (string | null)[] {
  const anchor = tokenizer.encode('a', { addBos: false, parseSpecial: false });
  const anchorText = tokenizer.decode(anchor);
  const out: (string | null)[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    if (tokenizer.specialIds.has(id)) {
      out.push(null);
      continue;
    }
    const text = tokenizer.decode([...anchor, id]);
    out.push(text.startsWith(anchorText) && !text.includes('\uFFFD') ? text.slice(anchorText.length) : null);
  }
  return out;
}
