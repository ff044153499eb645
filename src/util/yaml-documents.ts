import { isNode, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { ValidationError } from './errors.ts';
import { formatFieldPath } from './field-path.ts';

/** One YAML document validated against a schema, with where it came from. */
export interface LocatedDocument<T> {
  value: T;
  file: string;
  /** 1-based line where the document starts. */
  line: number;
  /** Index of the document in a multi-document file. */
  index: number;
}

/**
 * Parses every document of a YAML text and validates each with `schema`. Errors name the file,
 * the line and the field path, and say what was expected.
 */
export function parseYamlDocuments<S extends z.ZodType>(options: {
  text: string;
  file: string;
  schema: S;
}): LocatedDocument<z.output<S>>[] {
  const { text, file, schema } = options;
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: LocatedDocument<z.output<S>>[] = [];
  docs.forEach((doc, index) => {
    const firstError = doc.errors[0];
    if (firstError !== undefined) {
      const pos = lineCounter.linePos(firstError.pos[0]);
      throw new ValidationError(`invalid YAML: ${firstError.message.split('\n')[0]}`, {
        location: { file, line: pos.line, column: pos.col },
      });
    }
    if (doc.contents === null) return; // an empty document (e.g. a trailing `---`)
    const raw: unknown = doc.toJS();
    const parsed = schema.safeParse(raw);
    const start = lineCounter.linePos(doc.contents.range?.[0] ?? 0).line;
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path as PropertyKey[];
      const line = lineOf(doc, path, lineCounter) ?? start;
      const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more issues)` : '';
      throw new ValidationError(`expected ${describeIssue(issue)}${more}`, {
        location: { file, line, field: formatFieldPath(path) || '(document)' },
      });
    }
    out.push({ value: parsed.data, file, line: start, index });
  });
  return out;
}

/** Line of the deepest node that exists along `path`. */
export function lineOf(doc: Document, path: readonly PropertyKey[], lineCounter: LineCounter): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // zod phrases most issues as "Invalid input: expected X, received Y"; keep the useful half.
  const m = /expected (.*)$/i.exec(issue.message);
  if (m?.[1] !== undefined) return m[1];
  if (issue.code === 'unrecognized_keys') return `no unknown keys (${issue.message})`;
  return issue.message;
}
