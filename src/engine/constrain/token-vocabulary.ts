import {
  feedJson,
  feedJsonText,
  isJsonComplete,
  isPlainStringChar,
  type JsonState,
  stringLength,
  stringRoom,
} from './json-machine.ts';

/**
 * The vocabulary as constrained decoding sees it: the text of every token, sorted, so that the
 * tokens a JSON state allows are found in one walk that feeds each distinct prefix once and skips
 * every token under a rejected prefix (a trie walk without building the trie). Pure.
 *
 * Tokens without a text of their own (special tokens, pieces of a UTF-8 character) are never
 * allowed inside constrained text; the stop tokens are allowed exactly where the document is
 * complete.
 */
export class TokenVocabulary {
  /** Token ids by text, in code-unit order. */
  private readonly ids: Int32Array;
  private readonly texts: string[];
  /** Token texts by id (undefined: never allowed). */
  private readonly byId: (string | undefined)[];
  /** Ids in the vocabulary (the length of an `allowed` mask). */
  readonly size: number;
  /** Tokens made only of plain string characters, with their length in characters. */
  private readonly plain: { id: number; length: number }[] = [];
  /** The other tokens with a text (quotes, backslashes, control characters). */
  private readonly other: number[] = [];

  /**
   * `texts[id]` is token id's text, or null for one that constrained text never contains.
   * `stopIds` end a sequence.
   */
  constructor(
    texts: readonly (string | null)[],
    readonly stopIds: readonly number[],
  ) {
    const entries: { id: number; text: string }[] = [];
    const stops = new Set(stopIds);
    texts.forEach((text, id) => {
      if (text !== null && text !== '' && !stops.has(id)) entries.push({ id, text });
    });
    entries.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : a.id - b.id));
    this.ids = Int32Array.from(entries, (e) => e.id);
    this.texts = entries.map((e) => e.text);
    this.size = texts.length;
    this.byId = texts.map((text, id) => (text === null || text === '' || stops.has(id) ? undefined : text));
    for (const { id, text } of entries) {
      let plain = true;
      for (let i = 0; i < text.length && plain; i++) plain = isPlainStringChar(text.charCodeAt(i));
      if (plain) this.plain.push({ id, length: stringLength(text) });
      else this.other.push(id);
    }
  }

  /** The text of token `id` as the walk sees it (undefined: a stop token, or never allowed). */
  textOf(id: number): string | undefined {
    return this.byId[id];
  }

  /**
   * Marks in `out` (length `size`, zeroed here) every token that may come next from `state`: 1 for
   * allowed, 0 otherwise. Returns how many are allowed.
   */
  allowed(state: JsonState, out: Uint8Array): number {
    out.fill(0);
    let count = 0;
    if (isJsonComplete(state)) {
      for (const id of this.stopIds) {
        out[id] = 1;
        count++;
      }
    }
    const room = stringRoom(state);
    if (room !== undefined) return count + this.allowedInString(state, room, out);
    // states[k]: the state after the first k characters of `prefix`.
    const states: JsonState[] = [state];
    let prefix = '';
    const n = this.texts.length;
    let i = 0;
    while (i < n) {
      const text = this.texts[i] as string;
      let k = commonPrefix(prefix, text, states.length - 1);
      let ok = true;
      while (k < text.length) {
        const next = feedJson(states[k] as JsonState, text.charCodeAt(k));
        if (next === undefined) {
          ok = false;
          break;
        }
        states[k + 1] = next;
        k++;
      }
      states.length = k + 1;
      if (ok) {
        out[this.ids[i] as number] = 1;
        count++;
        prefix = text;
        i++;
        continue;
      }
      // Every token that starts with the rejected k + 1 characters is rejected too: skip them.
      const dead = text.slice(0, k + 1);
      prefix = text.slice(0, k);
      i++;
      while (i < n && (this.texts[i] as string).startsWith(dead)) i++;
    }
    return count;
  }

  /**
   * The walk inside a string's characters: a plain token (most of them) is allowed when its
   * length fits the room left, without feeding it; only the others go through the machine.
   */
  private allowedInString(state: JsonState, room: number, out: Uint8Array): number {
    let count = 0;
    for (const { id, length } of this.plain) {
      if (length <= room) {
        out[id] = 1;
        count++;
      }
    }
    for (const id of this.other) {
      if (feedJsonText(state, this.byId[id] as string) !== undefined) {
        out[id] = 1;
        count++;
      }
    }
    return count;
  }
}

function commonPrefix(a: string, b: string, limit: number): number {
  const max = Math.min(a.length, b.length, limit);
  let k = 0;
  while (k < max && a.charCodeAt(k) === b.charCodeAt(k)) k++;
  return k;
}
