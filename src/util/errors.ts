/**
 * The project's error hierarchy. Every error says what was expected and where: a file, a line,
 * a field path, or a named input. Callers (CLI, activities) map `retryable` to Temporal retry
 * behaviour and print `message` to people.
 */
export interface ErrorLocation {
  /** File the bad input came from, when there is one. */
  file?: string;
  /** 1-based line in that file. */
  line?: number;
  /** 1-based column in that file. */
  column?: number;
  /** Field path inside the document, e.g. `criteria[2].weight`. */
  field?: string;
}

export class AnchorageError extends Error {
  readonly location: ErrorLocation;
  readonly retryable: boolean;

  constructor(message: string, options: { location?: ErrorLocation; retryable?: boolean; cause?: unknown } = {}) {
    super(withLocation(message, options.location ?? {}), options.cause === undefined ? {} : { cause: options.cause });
    this.name = new.target.name;
    this.location = options.location ?? {};
    this.retryable = options.retryable ?? false;
  }
}

/** Input that does not match what was expected: a file, a flag, a field. Never retryable. */
export class ValidationError extends AnchorageError {}

/** A name that is not in a registry; the message lists the known names. */
export class UnknownNameError extends ValidationError {
  constructor(kind: string, name: string, known: readonly string[]) {
    super(`unknown ${kind} '${name}'; known: ${[...known].sort().join(', ') || '(none)'}`);
  }
}

/** A failure of something outside the process (network, server) that may pass on a retry. */
export class TransportError extends AnchorageError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { ...options, retryable: options.retryable ?? true });
  }
}

export function formatLocation(location: ErrorLocation): string {
  const parts: string[] = [];
  if (location.file !== undefined) {
    let where = location.file;
    if (location.line !== undefined) where += `:${location.line}`;
    if (location.line !== undefined && location.column !== undefined) where += `:${location.column}`;
    parts.push(where);
  }
  if (location.field !== undefined && location.field !== '') parts.push(`field ${location.field}`);
  return parts.join(', ');
}

function withLocation(message: string, location: ErrorLocation): string {
  const where = formatLocation(location);
  return where === '' ? message : `${where}: ${message}`;
}
