import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../util/errors.ts';

/** A content address: `sha256:` and the 64 lower-case hex digits of the SHA-256 of the bytes. */
export const Address = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'a content address sha256:<64 lower-case hex digits>');
export type Address = z.infer<typeof Address>;

export function addressOf(bytes: Uint8Array): Address {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Checks an address given by a caller; the error quotes it. */
export function parseAddress(address: string): Address {
  if (!Address.safeParse(address).success) {
    throw new ValidationError(
      `expected a content address sha256:<64 lower-case hex digits>, got '${address}'`,
    );
  }
  return address;
}

/** The hex digest of an address. */
export function digestOf(address: Address): string {
  return address.slice('sha256:'.length);
}

/**
 * Ref names: slash-separated segments of letters, digits, `.`, `_`, `-` (no empty, `.` or `..`
 * segment), e.g. `runs/quickstart-1/checkpoints/step-12`.
 */
export const RefName = z
  .string()
  .max(512)
  .regex(
    /^(?!\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._-]+)*$/,
    'a ref name: slash-separated segments of letters, digits, . _ - (no empty, . or .. segments)',
  );

export function parseRefName(name: string): string {
  if (!RefName.safeParse(name).success) {
    throw new ValidationError(
      `expected a ref name (slash-separated segments of letters, digits, . _ -), got '${name}'`,
    );
  }
  return name;
}
