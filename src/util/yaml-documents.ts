import { type Document, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ValidationError } from './errors.ts';
import { formatFieldPath } from './field-path.ts';

/** Alias uses allowed per document when expanding it (yaml's default is 100). */
const MAX_ALIAS_COUNT = 100;

/** One YAML document validated against a schema, with where it came from. */
export interface LocatedDocument<T> {
  value: T;
  file: string;
  /** 1-based line where the document starts. */
  line: number;
  /** Index of the document in a multi-document file. */
  index: number;
  /**
   * Lines of fields, keyed by formatted field path (`criteria[2].evaluator.name`), for the paths the
   * caller asked to record (`recordLines`), so later checks can point at the exact line.
   */
  lines?: ReadonlyMap<string, number>;
}

/** One document of a YAML text, parsed and its aliases expanded, not yet validated. */
export interface ParsedYamlDocument {
  /** The document as plain data. */
  raw: unknown;
  file: string;
  /** 1-based line where the document starts. */
  line: number;
  /** Index of the document in a multi-document file. */
  index: number;
  /** The syntax tree and its line counter, so validation can point at a field's line. */
  doc: Document;
  lineCounter: LineCounter;
}

/** How errors are reported: without `onError` the first one throws. */
export interface ErrorOptions {
  onError?: ((error: ValidationError) => void) | undefined;
}

/**
 * Parses every document of a YAML text and validates each with `schema`. Errors name the file,
 * the line and the field path, and say what was expected.
 *
 * Without `onError` the first error throws. With it, every error is reported (each schema issue of
 * each document) and the documents that failed are left out of the result.
 */
export function parseYamlDocuments<S extends z.ZodType>(
  options: ErrorOptions & {
    text: string;
    file: string;
    schema: S;
    /** Which field paths to record in `lines` (none by default). */
    recordLines?: (path: readonly (string | number)[]) => boolean;
    /** Line of the file where `text` starts, when `text` is a slice of a larger file (default 1). */
    firstLine?: number;
  },
): LocatedDocument<z.output<S>>[] {
  const { schema, recordLines } = options;
  const out: LocatedDocument<z.output<S>>[] = [];
  // Each document is validated as soon as it is read, so errors come in the file's order.
  forEachYamlDocument(options, (parsed) => {
    const located = validateYamlDocument({ parsed, schema, onError: options.onError, recordLines });
    if (located !== undefined) out.push(located);
  });
  return out;
}

/**
 * Parses every document of a YAML text without validating it, for a caller that looks at the
 * documents (how many there are) before validating one with `validateYamlDocument`. Syntax errors
 * and alias bombs are reported as in `parseYamlDocuments`; empty documents are left out.
 */
export function readYamlDocuments(
  options: ErrorOptions & { text: string; file: string; firstLine?: number },
): ParsedYamlDocument[] {
  const out: ParsedYamlDocument[] = [];
  forEachYamlDocument(options, (parsed) => out.push(parsed));
  return out;
}

/**
 * Validates one parsed document with `schema`; an error names the file, the field's line and its
 * path. Returns undefined when the document failed and `onError` took the errors.
 */
export function validateYamlDocument<S extends z.ZodType>(
  options: ErrorOptions & {
    parsed: ParsedYamlDocument;
    schema: S;
    /** Which field paths to record in `lines` (none by default). */
    recordLines?: ((path: readonly (string | number)[]) => boolean) | undefined;
  },
): LocatedDocument<z.output<S>> | undefined {
  const { parsed, schema, onError, recordLines } = options;
  const { raw, file, line: start, index, doc, lineCounter } = parsed;
  const report = reporter(options);
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues;
    const shown = onError === undefined ? issues.slice(0, 1) : issues;
    for (const issue of shown) {
      const more =
        onError === undefined && issues.length > 1 ? ` (and ${issues.length - 1} more issues)` : '';
      report(issueError({ issue, doc, lineCounter, file, start, schema, raw, more }));
    }
    return undefined;
  }
  const located: LocatedDocument<z.output<S>> = { value: result.data, file, line: start, index };
  if (recordLines !== undefined) located.lines = collectLines(doc, lineCounter, recordLines);
  return located;
}

function reporter(options: ErrorOptions): (error: ValidationError) => void {
  const { onError } = options;
  return (error) => {
    if (onError === undefined) throw error;
    onError(error);
  };
}

/** Parses the YAML stream and calls `each` with every non-empty document that parsed and expanded. */
function forEachYamlDocument(
  options: ErrorOptions & { text: string; file: string; firstLine?: number },
  each: (parsed: ParsedYamlDocument) => void,
): void {
  const { text, file, firstLine = 1 } = options;
  const report = reporter(options);
  const lineCounter = offsetLineCounter(firstLine);
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return; // an empty stream
  docs.forEach((doc, index) => {
    const firstError = doc.errors[0];
    if (firstError !== undefined) {
      const pos = lineCounter.linePos(firstError.pos[0]);
      report(
        new ValidationError(`invalid YAML: ${firstError.message.split('\n')[0]}`, {
          location: { file, line: pos.line, column: pos.col },
        }),
      );
      return;
    }
    if (doc.contents === null) return; // an empty document (e.g. a trailing `---`)
    const line = lineCounter.linePos(doc.contents.range?.[0] ?? 0).line;
    let raw: unknown;
    try {
      // Aliases are expanded here; an alias bomb (aliases of aliases, growing exponentially) stops
      // at the library's alias budget instead of filling memory.
      raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      report(
        new ValidationError(
          `expected YAML whose aliases expand to a small document; ${(err as Error).message} (at most ${MAX_ALIAS_COUNT} alias uses)`,
          { location: { file, line } },
        ),
      );
      return;
    }
    each({ raw, file, line, index, doc, lineCounter });
  });
}

/** A line counter whose lines are shifted so a slice of a file reports the file's line numbers. */
function offsetLineCounter(firstLine: number): LineCounter {
  const counter = new LineCounter();
  if (firstLine !== 1) {
    const linePos = counter.linePos;
    counter.linePos = (offset: number) => {
      const pos = linePos(offset);
      return { line: pos.line + firstLine - 1, col: pos.col };
    };
  }
  return counter;
}

function issueError(options: {
  issue: z.core.$ZodIssue;
  doc: Document;
  lineCounter: LineCounter;
  file: string;
  start: number;
  schema: z.ZodType;
  raw: unknown;
  more: string;
}): ValidationError {
  const { issue, doc, lineCounter, file, start, schema, raw, more } = options;
  let path = issue.path as PropertyKey[];
  let message = `expected ${describeIssue(issue)}`;
  if (issue.code === 'unrecognized_keys') {
    // Point at the unknown key itself, and say which keys are allowed there.
    const key = issue.keys[0]!;
    path = [...path, key];
    const known = knownKeys(schema, issue.path as PropertyKey[], raw);
    const others = issue.keys.length > 1 ? ` (also unknown: ${issue.keys.slice(1).join(', ')})` : '';
    message = `unknown key '${key}'${others}; expected ${known === undefined ? 'no unknown keys' : `one of: ${known.join(', ')}`}`;
  }
  const line = lineOf(doc, path, lineCounter) ?? start;
  return new ValidationError(`${message}${more}`, {
    location: { file, line, field: formatFieldPath(path) || '(document)' },
  });
}

/** Line of the deepest node that exists along `path`. */
export function lineOf(
  doc: Document,
  path: readonly PropertyKey[],
  lineCounter: LineCounter,
): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Line of `path` in a located document: the nearest recorded ancestor, else the document start. */
export function lineAt(
  located: Pick<LocatedDocument<unknown>, 'line' | 'lines'>,
  path: readonly (string | number)[],
): number {
  for (let depth = path.length; depth > 0; depth--) {
    const line = located.lines?.get(formatFieldPath(path.slice(0, depth)));
    if (line !== undefined) return line;
  }
  return located.line;
}

function collectLines(
  doc: Document,
  lineCounter: LineCounter,
  record: (path: readonly (string | number)[]) => boolean,
): Map<string, number> {
  const lines = new Map<string, number>();
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const child = [...path, String(pair.key.value)];
        if (!record(child)) continue;
        if (pair.key.range) lines.set(formatFieldPath(child), lineCounter.linePos(pair.key.range[0]).line);
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = [...path, i];
        if (!record(child)) return;
        if (isNode(item) && item.range)
          lines.set(formatFieldPath(child), lineCounter.linePos(item.range[0]).line);
        walk(item, child);
      });
    }
  };
  walk(doc.contents, []);
  return lines;
}

/** The keys a strict object schema allows at `path`, when they can be read off the schema. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], raw: unknown): string[] | undefined {
  let s: z.core.$ZodType | undefined = schema;
  let value: unknown = raw;
  const unwrap = (t: z.core.$ZodType | undefined): z.core.$ZodType | undefined => {
    let cur = t;
    for (let guard = 0; cur !== undefined && guard < 20; guard++) {
      const def = cur._zod.def as unknown as Record<string, unknown> & { type: string };
      if (
        def.type === 'optional' ||
        def.type === 'default' ||
        def.type === 'nullable' ||
        def.type === 'prefault'
      ) {
        cur = def['innerType'] as z.core.$ZodType;
      } else if (def.type === 'pipe') {
        cur = def['in'] as z.core.$ZodType;
      } else if (def.type === 'union') {
        const disc = def['discriminator'] as string | undefined;
        const options = def['options'] as z.core.$ZodType[];
        const tag = disc !== undefined && isRecord(value) ? value[disc] : undefined;
        cur = options.find((o) => {
          const shape = (o._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
          const lit = shape?.[disc ?? '']?._zod.def as unknown as { values?: unknown[] } | undefined;
          return lit?.values?.includes(tag) === true;
        });
        if (cur === undefined) return undefined;
      } else {
        return cur;
      }
    }
    return cur;
  };
  for (const key of path) {
    s = unwrap(s);
    if (s === undefined) return undefined;
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'object') {
      s = (def['shape'] as Record<string, z.core.$ZodType>)[String(key)];
    } else if (def.type === 'array') {
      s = def['element'] as z.core.$ZodType;
    } else if (def.type === 'record') {
      s = def['valueType'] as z.core.$ZodType;
    } else {
      return undefined;
    }
    value =
      isRecord(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  s = unwrap(s);
  const def = s?._zod.def as unknown as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a zod issue expected, without zod's "Invalid input:" preamble. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  // zod phrases most issues as "Invalid input: expected X, received Y"; keep the useful half.
  const m = /expected (.*)$/i.exec(issue.message);
  if (m?.[1] !== undefined) return m[1];
  return issue.message;
}
