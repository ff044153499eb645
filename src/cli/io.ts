import { ValidationError } from '../util/errors.ts';
import { readTextFile } from '../util/read-text.ts';
import { redactSecrets } from '../util/secrets.ts';

// A reader that closes the pipe early (`anchorage ... | head`) is not an error: stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/** Writes a line to stdout (the CLI's result channel; logs go to stderr). */
export function out(line = ''): void {
  process.stdout.write(`${redactSecrets(line)}\n`);
}

/** A metric for a table or a progress line: fixed digits, `n/a` when there is none. */
export function formatMetric(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined ? 'n/a' : v.toFixed(digits);
}

/** `@path` reads the file; anything else is the text itself. */
export function textOrFile(value: string, flag: string): string {
  if (!value.startsWith('@')) return value;
  const path = value.slice(1);
  try {
    return readTextFile(path);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw new ValidationError(`${flag}: ${err.message}`, { cause: err });
  }
}

/** Parses a numeric flag, naming the flag when it is not a number in range. */
export function numberFlag(
  value: string,
  flag: string,
  range: { min?: number; integer?: boolean } = {},
): number {
  const n = Number(value);
  const ok =
    Number.isFinite(n) &&
    (range.min === undefined || n >= range.min) &&
    (!range.integer || Number.isInteger(n));
  if (!ok) {
    const what = `${range.integer ? 'an integer' : 'a number'}${range.min === undefined ? '' : ` >= ${range.min}`}`;
    throw new ValidationError(`${flag}: expected ${what}, got '${value}'`);
  }
  return n;
}
