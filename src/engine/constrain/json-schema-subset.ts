import { ValidationError } from '../../util/errors.ts';

/**
 * The part of JSON Schema that constrained decoding enforces, compiled to a small tree that the
 * JSON machine (json-machine.ts) walks character by character. Pure.
 *
 * Supported (README.md in this folder lists it for users):
 * - `type: object` with `properties` and `required`; properties are written in the order the schema
 *   lists them, optional ones may be left out; `additionalProperties` may be absent or false
 *   (nothing else is ever generated). An object without `properties` is any JSON object.
 * - `type: array` with `items` (default: any value), `minItems`, `maxItems`.
 * - `type: string` with `minLength`, `maxLength` (counted in characters).
 * - `type: number`, `type: integer`; an integer with both `minimum` and `maximum` at most
 *   MAX_INTEGER_RANGE apart becomes the list of its values.
 * - `type: boolean`, `type: null`; `enum` and `const` of strings, numbers, booleans and null.
 * - `{}` (no type): any JSON value.
 * - Annotations (`title`, `description`, `default`, `examples`, `$schema`, `$id`, `$comment`) are ignored.
 * Anything else (`$ref`, `anyOf`, `pattern`, `format`, type lists, number bounds, ...) is refused
 * with an UnsupportedSchemaError naming the keyword and where it is.
 */

export type SchemaNode =
  | { readonly kind: 'object'; readonly properties: readonly PropertyNode[] }
  | {
      readonly kind: 'array';
      readonly items: SchemaNode;
      readonly minItems: number;
      readonly maxItems: number;
    }
  | { readonly kind: 'string'; readonly minLength: number; readonly maxLength: number }
  | { readonly kind: 'number'; readonly integer: boolean }
  /** One of these JSON texts exactly (enum, const, boolean, null). */
  | { readonly kind: 'literal'; readonly texts: readonly string[] }
  /** Any JSON value (`{}`, `json_object`'s members). */
  | { readonly kind: 'any' }
  /** Any JSON object (`type: object` without properties, `response_format: json_object`). */
  | { readonly kind: 'anyObject' };

export interface PropertyNode {
  readonly name: string;
  /** The key as written in JSON, quotes included. */
  readonly key: string;
  readonly node: SchemaNode;
  readonly required: boolean;
}

/** An integer range up to this size becomes the list of its values. */
export const MAX_INTEGER_RANGE = 1000;
/** Nesting deeper than this is refused (a schema is a request's input, not a program). */
export const MAX_SCHEMA_DEPTH = 16;

const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$schema', '$id', '$comment']);
const KEYWORDS: Record<string, readonly string[]> = {
  object: ['type', 'properties', 'required', 'additionalProperties'],
  array: ['type', 'items', 'minItems', 'maxItems'],
  string: ['type', 'minLength', 'maxLength', 'enum', 'const'],
  number: ['type', 'enum', 'const'],
  integer: ['type', 'enum', 'const', 'minimum', 'maximum'],
  boolean: ['type', 'enum', 'const'],
  null: ['type', 'enum', 'const'],
  none: ['enum', 'const'],
};

/** A schema outside the supported subset, or not a valid schema. */
export class UnsupportedSchemaError extends ValidationError {}

/** Any JSON object: what `response_format: { type: 'json_object' }` asks for. */
export const ANY_OBJECT: SchemaNode = { kind: 'anyObject' };

/** Compiles a JSON Schema to the tree the JSON machine walks; `path` names the schema in errors. */
export function compileJsonSchema(options: { schema: unknown; path?: string }): SchemaNode {
  return compile(options.schema, options.path ?? 'schema', 0);
}

function compile(schema: unknown, path: string, depth: number): SchemaNode {
  if (depth > MAX_SCHEMA_DEPTH) fail(path, `nesting deeper than ${MAX_SCHEMA_DEPTH} levels`);
  if (schema === true) return { kind: 'any' };
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    fail(path, `expected a schema object, got ${describe(schema)}`);
  }
  const s = schema as Record<string, unknown>;
  const type = s['type'];
  if (type !== undefined && typeof type !== 'string') {
    fail(`${path}.type`, 'expected one type name (type lists are not supported)');
  }
  const allowed =
    type === undefined
      ? KEYWORDS['none']
      : type !== 'none' && Object.hasOwn(KEYWORDS, type)
        ? KEYWORDS[type]
        : undefined;
  if (allowed === undefined) {
    fail(
      `${path}.type`,
      `unknown type '${type}'; supported: ${Object.keys(KEYWORDS)
        .filter((k) => k !== 'none')
        .join(', ')}`,
    );
  }
  for (const key of Object.keys(s)) {
    if (!ANNOTATIONS.has(key) && !allowed.includes(key)) {
      fail(
        `${path}.${key}`,
        `keyword '${key}' is not supported${type === undefined ? '' : ` with type '${type}'`} (supported: ${allowed.join(', ')})`,
      );
    }
  }
  if (s['enum'] !== undefined || s['const'] !== undefined) return literals(s, type, path);
  switch (type) {
    case undefined:
      return { kind: 'any' };
    case 'object':
      return object(s, path, depth);
    case 'array': {
      const minItems = count(s['minItems'], `${path}.minItems`, 0);
      const maxItems = count(s['maxItems'], `${path}.maxItems`, Number.POSITIVE_INFINITY);
      if (minItems > maxItems) fail(path, `minItems ${minItems} > maxItems ${maxItems}`);
      const items =
        s['items'] === undefined
          ? ({ kind: 'any' } as const)
          : compile(s['items'], `${path}.items`, depth + 1);
      return { kind: 'array', items, minItems, maxItems };
    }
    case 'string': {
      const minLength = count(s['minLength'], `${path}.minLength`, 0);
      const maxLength = count(s['maxLength'], `${path}.maxLength`, Number.POSITIVE_INFINITY);
      if (minLength > maxLength) fail(path, `minLength ${minLength} > maxLength ${maxLength}`);
      return { kind: 'string', minLength, maxLength };
    }
    case 'integer':
      return integer(s, path);
    case 'number':
      return { kind: 'number', integer: false };
    case 'boolean':
      return { kind: 'literal', texts: ['true', 'false'] };
    default:
      return { kind: 'literal', texts: ['null'] };
  }
}

function object(s: Record<string, unknown>, path: string, depth: number): SchemaNode {
  const additional = s['additionalProperties'];
  if (additional !== undefined && additional !== false) {
    fail(
      `${path}.additionalProperties`,
      'only false is supported (nothing beyond the listed properties is generated)',
    );
  }
  const props = s['properties'];
  if (props === undefined) {
    if (s['required'] !== undefined) fail(`${path}.required`, 'required needs properties');
    return ANY_OBJECT;
  }
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    fail(`${path}.properties`, `expected an object of schemas, got ${describe(props)}`);
  }
  const names = Object.keys(props);
  const required = s['required'] ?? [];
  if (!Array.isArray(required) || !required.every((r) => typeof r === 'string')) {
    fail(`${path}.required`, 'expected an array of property names');
  }
  for (const r of required as string[]) {
    if (!names.includes(r)) fail(`${path}.required`, `'${r}' is not in properties`);
  }
  return {
    kind: 'object',
    properties: names.map((name) => ({
      name,
      key: JSON.stringify(name),
      node: compile((props as Record<string, unknown>)[name], `${path}.properties.${name}`, depth + 1),
      required: (required as string[]).includes(name),
    })),
  };
}

function integer(s: Record<string, unknown>, path: string): SchemaNode {
  const { minimum, maximum } = s;
  if (minimum === undefined && maximum === undefined) return { kind: 'number', integer: true };
  if (!Number.isSafeInteger(minimum) || !Number.isSafeInteger(maximum)) {
    fail(path, 'an integer range needs both minimum and maximum, as integers');
  }
  const [lo, hi] = [minimum as number, maximum as number];
  if (lo > hi) fail(path, `minimum ${lo} > maximum ${hi}`);
  if (hi - lo >= MAX_INTEGER_RANGE) {
    fail(path, `integer ranges of at most ${MAX_INTEGER_RANGE} values are supported, got ${lo}..${hi}`);
  }
  return { kind: 'literal', texts: Array.from({ length: hi - lo + 1 }, (_, i) => String(lo + i)) };
}

function literals(s: Record<string, unknown>, type: unknown, path: string): SchemaNode {
  if (s['enum'] !== undefined && s['const'] !== undefined) fail(path, 'give enum or const, not both');
  const values = s['enum'] !== undefined ? s['enum'] : [s['const']];
  const where = s['enum'] !== undefined ? `${path}.enum` : `${path}.const`;
  if (!Array.isArray(values) || values.length === 0) fail(where, 'expected a non-empty array of values');
  const texts = values.map((v, i) => {
    const ok =
      v === null ||
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v));
    if (!ok)
      fail(`${where}[${i}]`, `only strings, numbers, booleans and null are supported, got ${describe(v)}`);
    if (type !== undefined && !matchesType(v, type as string)) {
      fail(`${where}[${i}]`, `${JSON.stringify(v)} is not of type '${type}'`);
    }
    return JSON.stringify(v);
  });
  return { kind: 'literal', texts: [...new Set(texts)] };
}

function matchesType(v: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return v === null;
  }
}

function count(value: unknown, path: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    fail(path, `expected an integer >= 0, got ${describe(value)}`);
  }
  return value as number;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function fail(path: string, message: string): never {
  throw new UnsupportedSchemaError(`${path}: ${message}`);
}
