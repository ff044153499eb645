import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import type { z } from 'zod';
import { ValidationError } from '../util/errors.ts';

/**
 * An append-only JSON-lines file of records keyed by `key`, written as each record is done so that a
 * stopped evaluation resumes from it (answers of a generation suite, log-probs of a perplexity
 * suite). Only the last line can be cut short by a crash; it is dropped (and redone), any other bad
 * line is an error naming the file and line.
 */
export function readKeyedLines<S extends z.ZodType<{ key: string }>>(options: {
  file: string;
  schema: S;
  /** What a record is, for errors: 'answer', 'chunk'. */
  what: string;
}): { records: Map<string, z.output<S>>; droppedLastLine: boolean } {
  const { file, schema, what } = options;
  const records = new Map<string, z.output<S>>();
  if (!existsSync(file)) return { records, droppedLastLine: false };
  const lines = readFileSync(file, 'utf8').split('\n');
  // A file ends with a newline when its last write completed: the piece after it is empty.
  const complete = lines.at(-1) === '';
  let droppedLastLine = false;
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const cutShort = i === lines.length - 1 && !complete;
    let parsed: z.ZodSafeParseResult<z.output<S>>;
    try {
      parsed = schema.safeParse(JSON.parse(raw));
    } catch (cause) {
      if (cutShort) {
        droppedLastLine = true;
        return;
      }
      throw new ValidationError(`expected a JSON ${what} line: ${(cause as Error).message}`, {
        location: { file, line: i + 1 },
      });
    }
    if (!parsed.success) {
      if (cutShort) {
        droppedLastLine = true;
        return;
      }
      const issue = parsed.error.issues[0];
      throw new ValidationError(`${issue?.message ?? `invalid ${what}`}`, {
        location: { file, line: i + 1, field: issue?.path.join('.') ?? '' },
      });
    }
    const { key } = parsed.data;
    if (records.has(key)) {
      throw new ValidationError(`a second ${what} for '${key}'`, { location: { file, line: i + 1 } });
    }
    records.set(key, parsed.data);
  });
  if (droppedLastLine)
    truncateSync(file, Buffer.byteLength(lines.slice(0, -1).join('\n')) + (lines.length > 1 ? 1 : 0));
  return { records, droppedLastLine };
}

/** Appends one record as a whole line (a line cut short by a crash is dropped on resume). */
export function appendKeyedLine<S extends z.ZodType<{ key: string }>>(options: {
  file: string;
  schema: S;
  record: z.input<S>;
}): void {
  appendFileSync(options.file, `${JSON.stringify(options.schema.parse(options.record))}\n`);
}
