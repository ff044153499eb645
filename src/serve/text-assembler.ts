/**
 * Turns a sequence's tokens into the text an answer streams: decoded incrementally, nothing sent
 * before it is final. Held back are an incomplete UTF-8 character at the end (it decodes to
 * U+FFFD until its last byte comes) and any end of the text that could be the start of a stop
 * string. A stop string ends the answer before it: the string itself is never sent. Pure apart
 * from the decoder it is given.
 */
export class TextAssembler {
  private readonly ids: number[] = [];
  /** Characters of the decoded text already handed out. */
  private sent = 0;
  private finalText: string | undefined;

  constructor(
    private readonly options: {
      decode: (ids: readonly number[]) => string;
      /** Stop strings (OpenAI's `stop`). */
      stops: readonly string[];
      /** Token ids that end a sequence; they add no text. */
      stopIds: ReadonlySet<number>;
    },
  ) {}

  /** Whether a stop string has ended the text. */
  get stopped(): boolean {
    return this.finalText !== undefined;
  }

  /** Tokens taken so far (those after a stop string are refused). */
  get tokens(): number {
    return this.ids.length;
  }

  /** Takes one token; returns the text that became final with it ('' when none did). */
  push(token: number): string {
    if (this.finalText !== undefined) return '';
    if (this.options.stopIds.has(token)) return '';
    this.ids.push(token);
    const text = this.options.decode(this.ids);
    const cut = firstStop(text, this.options.stops, Math.max(0, this.sent - longest(this.options.stops)));
    if (cut !== undefined) {
      this.finalText = text.slice(0, cut);
      return this.take(this.finalText.length, this.finalText);
    }
    let end = text.length;
    while (end > this.sent && text.charCodeAt(end - 1) === 0xfffd) end--;
    end -= heldForStop(text.slice(0, end), this.options.stops);
    return this.take(end, text);
  }

  /** The rest of the text once the sequence has ended (what was held back). */
  finish(): string {
    const text = this.finalText ?? this.options.decode(this.ids);
    return this.take(text.length, text);
  }

  private take(end: number, text: string): string {
    if (end <= this.sent) return '';
    const out = text.slice(this.sent, end);
    this.sent = end;
    return out;
  }
}

function longest(stops: readonly string[]): number {
  return Math.max(0, ...stops.map((s) => s.length));
}

/** Where the earliest stop string starts in `text`, searching from `from`. */
function firstStop(text: string, stops: readonly string[], from: number): number | undefined {
  let best: number | undefined;
  for (const stop of stops) {
    const at = text.indexOf(stop, from);
    if (at !== -1 && (best === undefined || at < best)) best = at;
  }
  return best;
}

/** Characters at the end of `text` that begin some stop string (they may grow into one). */
function heldForStop(text: string, stops: readonly string[]): number {
  let held = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, text.length); k > held; k--) {
      if (text.endsWith(stop.slice(0, k))) {
        held = k;
        break;
      }
    }
  }
  return held;
}
