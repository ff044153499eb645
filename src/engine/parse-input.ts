import type { z } from 'zod';
import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';

/**
 * Parses caller input with a zod schema; a failure becomes a ValidationError naming the field
 * (`sampling.topP: Too big: expected number to be <=1`), so activities and the CLI report it as bad
 * input instead of a stack trace.
 */
export function parseInput<S extends z.ZodType>(options: {
  schema: S;
  value: unknown;
  what: string;
}): z.output<S> {
  const parsed = options.schema.safeParse(options.value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = [options.what, formatFieldPath(issue?.path ?? [])].filter((p) => p !== '').join('.');
  throw new ValidationError(issue?.message ?? 'invalid', { location: { field } });
}
