import type { PropertyNode, SchemaNode } from './json-schema-subset.ts';

/**
 * An incremental validator of JSON text against a compiled schema (json-schema-subset.ts): a
 * pushdown automaton fed one UTF-16 code unit at a time. A state is immutable (a stack of small
 * frames, shared between the states that grow from it), so the token walk (token-vocabulary.ts)
 * can try every token from the same state. Pure.
 *
 * The text it accepts is compact JSON: no whitespace except one optional space after a `:` or a
 * `,` (a model cannot fill its token budget with blank lines), object properties in the schema's
 * order, numbers of at most MAX_NUMBER_CHARS characters, integers without fraction or exponent.
 */

/** Longest number text accepted, so a model cannot write digits until its token limit. */
export const MAX_NUMBER_CHARS = 24;

type ObjectPhase = 'open' | 'first' | 'key' | 'colon' | 'value' | 'after' | 'comma';
type ArrayPhase = 'open' | 'first' | 'after' | 'comma';
type NumberPhase = 'start' | 'minus' | 'zero' | 'int' | 'dot' | 'frac' | 'e' | 'esign' | 'exp';

type Frame =
  /** The document: its value not yet started, or started (`done`: nothing may follow it). */
  | { readonly t: 'root'; readonly node: SchemaNode; readonly done: boolean }
  /** Any JSON value about to start: its first character picks the kind. */
  | { readonly t: 'value' }
  | {
      readonly t: 'object';
      readonly props: readonly PropertyNode[];
      readonly phase: ObjectPhase;
      /** Properties before this index are written or skipped. */
      readonly at: number;
      /** While reading a key: the properties it may still be, and characters read. */
      readonly cands: readonly number[];
      readonly pos: number;
      /** The property whose value comes next. */
      readonly current: number;
      readonly spaced: boolean;
    }
  /** Any JSON object (keys are any strings, values any values). */
  | { readonly t: 'map'; readonly phase: ObjectPhase; readonly spaced: boolean }
  | {
      readonly t: 'array';
      readonly items: SchemaNode;
      readonly min: number;
      readonly max: number;
      readonly phase: ArrayPhase;
      readonly count: number;
      readonly spaced: boolean;
    }
  | {
      readonly t: 'string';
      readonly min: number;
      readonly max: number;
      readonly phase: 'open' | 'body' | 'escape' | 'hex';
      /** Characters so far (an escape counts as one; a surrogate pair as one). */
      readonly len: number;
      /** Hex digits still due in a \u escape. */
      readonly hex: number;
    }
  | { readonly t: 'number'; readonly integer: boolean; readonly phase: NumberPhase; readonly len: number }
  /** One of these texts exactly; `pos` characters matched. */
  | { readonly t: 'literal'; readonly texts: readonly string[]; readonly pos: number };

/** A point in the text: the innermost frame first. */
export interface JsonState {
  readonly frame: Frame;
  readonly below: JsonState | null;
}

type Step =
  /** Consumed; the frame goes on as `frame`. */
  | { readonly k: 'stay'; readonly frame: Frame }
  /** Consumed; the value is complete. */
  | { readonly k: 'done' }
  /** Not consumed: the frame becomes `frame` and a value of `child` starts with this character. */
  | { readonly k: 'push'; readonly frame: Frame; readonly child: SchemaNode }
  | { readonly k: 'reject' };

const DONE: Step = { k: 'done' };
const REJECT: Step = { k: 'reject' };
const ANY: SchemaNode = { kind: 'any' };
const ANY_STRING: SchemaNode = { kind: 'string', minLength: 0, maxLength: Number.POSITIVE_INFINITY };
const KEYWORDS = ['true', 'false', 'null'];

const ch = (s: string) => s.charCodeAt(0);
const [QUOTE, BACKSLASH, COLON, COMMA, SPACE] = [ch('"'), ch('\\'), ch(':'), ch(','), ch(' ')];
const [LBRACE, RBRACE, LBRACKET, RBRACKET] = [ch('{'), ch('}'), ch('['), ch(']')];
const [MINUS, PLUS, DOT, ZERO, NINE] = [ch('-'), ch('+'), ch('.'), ch('0'), ch('9')];
const ESCAPES = new Set([...'"\\/bfnrt'].map(ch));
const isDigit = (c: number) => c >= ZERO && c <= NINE;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isExp = (c: number) => c === 0x45 || c === 0x65;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The state before the first character of a document of `node`. */
export function initialJsonState(node: SchemaNode): JsonState {
  return { frame: { t: 'root', node, done: false }, below: null };
}

/** The state after one more code unit, or undefined when no valid document continues that way. */
export function feedJson(state: JsonState, c: number): JsonState | undefined {
  const step = stepFrame(state.frame, c);
  switch (step.k) {
    case 'stay':
      return { frame: step.frame, below: state.below };
    case 'done':
      return state.below ?? undefined;
    case 'push':
      return feedJson({ frame: startFrame(step.child), below: { frame: step.frame, below: state.below } }, c);
    case 'reject':
      // A number or literal may end where the next character does not fit it: its parent reads it.
      return canEnd(state.frame) && state.below !== null ? feedJson(state.below, c) : undefined;
  }
}

/** The state after `text`, or undefined when the text leaves the schema. */
export function feedJsonText(state: JsonState, text: string): JsonState | undefined {
  let s: JsonState | undefined = state;
  for (let i = 0; i < text.length && s !== undefined; i++) s = feedJson(s, text.charCodeAt(i));
  return s;
}

/** Whether the text so far is a complete document of the schema. */
export function isJsonComplete(state: JsonState): boolean {
  let s: JsonState | null = state;
  while (s !== null) {
    if (s.frame.t === 'root') return s.frame.done;
    if (!canEnd(s.frame)) return false;
    s = s.below;
  }
  return false;
}

/**
 * Inside a string's characters: how many more plain characters it takes (Infinity without a
 * maxLength); undefined anywhere else. Plain characters (see isPlainStringChar) change nothing
 * but the length there, which lets the token walk judge most tokens without feeding them.
 */
export function stringRoom(state: JsonState): number | undefined {
  const f = state.frame;
  return f.t === 'string' && f.phase === 'body' ? f.max - f.len : undefined;
}

/** A code unit a string takes as it is: not a quote, a backslash or a control character. */
export function isPlainStringChar(c: number): boolean {
  return c >= 0x20 && c !== QUOTE && c !== BACKSLASH;
}

/** Characters a run of plain code units counts as in a string (a surrogate pair is one). */
export function stringLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (!isLowSurrogate(text.charCodeAt(i))) n++;
  return n;
}

function canEnd(f: Frame): boolean {
  if (f.t === 'number')
    return f.phase === 'zero' || f.phase === 'int' || f.phase === 'frac' || f.phase === 'exp';
  if (f.t === 'literal') return f.texts.some((t) => t.length === f.pos);
  return false;
}

function startFrame(node: SchemaNode): Frame {
  switch (node.kind) {
    case 'object':
      return {
        t: 'object',
        props: node.properties,
        phase: 'open',
        at: 0,
        cands: [],
        pos: 0,
        current: -1,
        spaced: false,
      };
    case 'anyObject':
      return { t: 'map', phase: 'open', spaced: false };
    case 'array':
      return {
        t: 'array',
        items: node.items,
        min: node.minItems,
        max: node.maxItems,
        phase: 'open',
        count: 0,
        spaced: false,
      };
    case 'string':
      return { t: 'string', min: node.minLength, max: node.maxLength, phase: 'open', len: 0, hex: 0 };
    case 'number':
      return { t: 'number', integer: node.integer, phase: 'start', len: 0 };
    case 'literal':
      return { t: 'literal', texts: node.texts, pos: 0 };
    case 'any':
      return { t: 'value' };
  }
}

function stepFrame(f: Frame, c: number): Step {
  switch (f.t) {
    case 'root':
      return f.done ? REJECT : { k: 'push', frame: { ...f, done: true }, child: f.node };
    case 'value': {
      const start = anyValueStart(c);
      return start === undefined ? REJECT : stepFrame(start, c);
    }
    case 'object':
      return stepObject(f, c);
    case 'map':
      return stepMap(f, c);
    case 'array':
      return stepArray(f, c);
    case 'string':
      return stepString(f, c);
    case 'number':
      return stepNumber(f, c);
    case 'literal': {
      const texts = f.texts.filter((t) => t.charCodeAt(f.pos) === c);
      if (texts.length === 0) return REJECT;
      const pos = f.pos + 1;
      return texts.every((t) => t.length === pos) ? DONE : { k: 'stay', frame: { t: 'literal', texts, pos } };
    }
  }
}

function anyValueStart(c: number): Frame | undefined {
  if (c === LBRACE) return startFrame({ kind: 'anyObject' });
  if (c === LBRACKET)
    return startFrame({ kind: 'array', items: ANY, minItems: 0, maxItems: Number.POSITIVE_INFINITY });
  if (c === QUOTE) return startFrame(ANY_STRING);
  if (c === MINUS || isDigit(c)) return startFrame({ kind: 'number', integer: false });
  if (KEYWORDS.some((k) => k.charCodeAt(0) === c)) return startFrame({ kind: 'literal', texts: KEYWORDS });
  return undefined;
}

type ObjectFrame = Extract<Frame, { t: 'object' }>;

/** Properties the next key may name: from `at` up to the first required one (skipping optional ones). */
function keyCandidates(props: readonly PropertyNode[], at: number): number[] {
  const out: number[] = [];
  for (let i = at; i < props.length; i++) {
    out.push(i);
    if ((props[i] as PropertyNode).required) break;
  }
  return out;
}

const requiredFrom = (props: readonly PropertyNode[], at: number) => props.slice(at).some((p) => p.required);

function stepObject(f: ObjectFrame, c: number): Step {
  const stay = (changes: Partial<ObjectFrame>): Step => ({ k: 'stay', frame: { ...f, ...changes } });
  const beginKey = (): Step => {
    const cands = keyCandidates(f.props, f.at);
    return cands.length === 0 ? REJECT : stay({ phase: 'key', cands, pos: 1 });
  };
  switch (f.phase) {
    case 'open':
      return c === LBRACE ? stay({ phase: 'first' }) : REJECT;
    case 'first':
      if (c === RBRACE) return requiredFrom(f.props, f.at) ? REJECT : DONE;
      return c === QUOTE ? beginKey() : REJECT;
    case 'key': {
      const cands = f.cands.filter((i) => (f.props[i] as PropertyNode).key.charCodeAt(f.pos) === c);
      if (cands.length === 0) return REJECT;
      const pos = f.pos + 1;
      // Keys end with a quote, which no other key has inside: a complete one is the only candidate.
      const whole = cands.find((i) => (f.props[i] as PropertyNode).key.length === pos);
      if (whole !== undefined)
        return stay({ phase: 'colon', cands: [], pos: 0, current: whole, at: whole + 1 });
      return stay({ cands, pos });
    }
    case 'colon':
      return c === COLON ? stay({ phase: 'value', spaced: false }) : REJECT;
    case 'value':
      if (c === SPACE && !f.spaced) return stay({ spaced: true });
      return { k: 'push', frame: { ...f, phase: 'after' }, child: (f.props[f.current] as PropertyNode).node };
    case 'after':
      if (c === COMMA) return f.at < f.props.length ? stay({ phase: 'comma', spaced: false }) : REJECT;
      if (c === RBRACE) return requiredFrom(f.props, f.at) ? REJECT : DONE;
      return REJECT;
    case 'comma':
      if (c === SPACE && !f.spaced) return stay({ spaced: true });
      return c === QUOTE ? beginKey() : REJECT;
  }
}

type MapFrame = Extract<Frame, { t: 'map' }>;

function stepMap(f: MapFrame, c: number): Step {
  const stay = (changes: Partial<MapFrame>): Step => ({ k: 'stay', frame: { ...f, ...changes } });
  const key = (): Step => ({ k: 'push', frame: { ...f, phase: 'colon' }, child: ANY_STRING });
  switch (f.phase) {
    case 'open':
      return c === LBRACE ? stay({ phase: 'first' }) : REJECT;
    case 'first':
      if (c === RBRACE) return DONE;
      return c === QUOTE ? key() : REJECT;
    case 'colon':
      return c === COLON ? stay({ phase: 'value', spaced: false }) : REJECT;
    case 'value':
      if (c === SPACE && !f.spaced) return stay({ spaced: true });
      return { k: 'push', frame: { ...f, phase: 'after' }, child: ANY };
    case 'after':
      if (c === COMMA) return stay({ phase: 'comma', spaced: false });
      return c === RBRACE ? DONE : REJECT;
    case 'comma':
      if (c === SPACE && !f.spaced) return stay({ spaced: true });
      return c === QUOTE ? key() : REJECT;
    default:
      return REJECT;
  }
}

type ArrayFrame = Extract<Frame, { t: 'array' }>;

function stepArray(f: ArrayFrame, c: number): Step {
  const item = (): Step =>
    f.count < f.max
      ? { k: 'push', frame: { ...f, phase: 'after', count: f.count + 1 }, child: f.items }
      : REJECT;
  switch (f.phase) {
    case 'open':
      return c === LBRACKET ? { k: 'stay', frame: { ...f, phase: 'first' } } : REJECT;
    case 'first':
      if (c === RBRACKET) return f.min === 0 ? DONE : REJECT;
      return item();
    case 'after':
      if (c === COMMA)
        return f.count < f.max ? { k: 'stay', frame: { ...f, phase: 'comma', spaced: false } } : REJECT;
      if (c === RBRACKET) return f.count >= f.min ? DONE : REJECT;
      return REJECT;
    case 'comma':
      if (c === SPACE && !f.spaced) return { k: 'stay', frame: { ...f, spaced: true } };
      return item();
  }
}

type StringFrame = Extract<Frame, { t: 'string' }>;

function stepString(f: StringFrame, c: number): Step {
  const stay = (changes: Partial<StringFrame>): Step => ({ k: 'stay', frame: { ...f, ...changes } });
  switch (f.phase) {
    case 'open':
      return c === QUOTE ? stay({ phase: 'body' }) : REJECT;
    case 'body':
      if (c === QUOTE) return f.len >= f.min ? DONE : REJECT;
      // The second half of a surrogate pair belongs to the character already counted.
      if (isLowSurrogate(c)) return stay({});
      if (c < 0x20 || f.len >= f.max) return REJECT;
      return c === BACKSLASH ? stay({ phase: 'escape' }) : stay({ len: f.len + 1 });
    case 'escape':
      if (c === 0x75) return stay({ phase: 'hex', hex: 4 });
      return ESCAPES.has(c) ? stay({ phase: 'body', len: f.len + 1 }) : REJECT;
    case 'hex':
      if (!isHex(c)) return REJECT;
      return f.hex === 1 ? stay({ phase: 'body', hex: 0, len: f.len + 1 }) : stay({ hex: f.hex - 1 });
  }
}

type NumberFrame = Extract<Frame, { t: 'number' }>;

const NUMBER_MOVES: Record<NumberPhase, (c: number, integer: boolean) => NumberPhase | undefined> = {
  start: (c) => (c === MINUS ? 'minus' : c === ZERO ? 'zero' : isDigit(c) ? 'int' : undefined),
  minus: (c) => (c === ZERO ? 'zero' : isDigit(c) ? 'int' : undefined),
  zero: (c, integer) => (integer ? undefined : c === DOT ? 'dot' : isExp(c) ? 'e' : undefined),
  int: (c, integer) =>
    isDigit(c) ? 'int' : integer ? undefined : c === DOT ? 'dot' : isExp(c) ? 'e' : undefined,
  dot: (c) => (isDigit(c) ? 'frac' : undefined),
  frac: (c) => (isDigit(c) ? 'frac' : isExp(c) ? 'e' : undefined),
  e: (c) => (c === PLUS || c === MINUS ? 'esign' : isDigit(c) ? 'exp' : undefined),
  esign: (c) => (isDigit(c) ? 'exp' : undefined),
  exp: (c) => (isDigit(c) ? 'exp' : undefined),
};

function stepNumber(f: NumberFrame, c: number): Step {
  if (f.len >= MAX_NUMBER_CHARS) return REJECT;
  const phase = NUMBER_MOVES[f.phase](c, f.integer);
  return phase === undefined ? REJECT : { k: 'stay', frame: { ...f, phase, len: f.len + 1 } };
}
