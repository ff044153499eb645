import type { z } from 'zod';
import { ValidationError } from '../util/errors.ts';
import { formatFieldPath } from '../util/field-path.ts';

/**
 * Parses the JSON bytes read from `address`, validated with `schema` when given; the error names
 * the address and the failing field.
 */
export function parseStoredJson(options: {
  address: string;
  bytes: Uint8Array;
  schema?: z.ZodType;
}): unknown {
  const { address, bytes, schema } = options;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new ValidationError(`artifact ${address} is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (schema === undefined) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`artifact ${address}: ${issue.message}`, {
      location: { field: formatFieldPath(issue.path as PropertyKey[]) || '(document)' },
    });
  }
  return parsed.data;
}
