import type { z } from 'zod';
import { ValidationError } from './errors.ts';
import { formatFieldPath } from './field-path.ts';
import { readTextFile } from './read-text.ts';

/** One parsed JSON line with its 1-based line number. */
export interface JsonLine<T> {
  value: T;
  line: number;
}

/**
 * Reads a JSON-lines file and validates each non-blank line with `schema`. Errors name the file,
 * the line and the field, and say what was expected.
 */
export function readJsonl<S extends z.ZodType>(options: {
  file: string;
  schema: S;
}): JsonLine<z.output<S>>[] {
  const { file, schema } = options;
  return parseJsonl({ text: readTextFile(file), file, schema });
}

export function parseJsonl<S extends z.ZodType>(options: {
  text: string;
  file: string;
  schema: S;
}): JsonLine<z.output<S>>[] {
  const { text, file, schema } = options;
  const out: JsonLine<z.output<S>>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (cause) {
      throw new ValidationError(`expected one JSON value per line: ${(cause as Error).message}`, {
        location: { file, line: i + 1 },
        cause,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError(issue.message, {
        location: { file, line: i + 1, field: formatFieldPath(issue.path as PropertyKey[]) || '(line)' },
      });
    }
    out.push({ value: parsed.data, line: i + 1 });
  }
  return out;
}
