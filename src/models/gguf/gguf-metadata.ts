import { ValidationError } from '../../util/errors.ts';

/** GGUF metadata value types; the index in this list is the type id written in the file. */
export const GGUF_VALUE_TYPES = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'bool',
  'string',
  'array',
  'u64',
  'i64',
  'f64',
] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export type GgufScalarType = Exclude<GgufValueType, 'array'>;

/** A scalar value: numbers for 8-64 bit types (64-bit ones become bigint beyond 2^53). */
export type GgufScalar = number | bigint | boolean | string;

/** A metadata value with its declared type, so a file can be rewritten with the same types. */
export type GgufValue =
  | { type: GgufScalarType; value: GgufScalar }
  | { type: 'array'; itemType: GgufScalarType; items: GgufScalar[] }
  | { type: 'array'; itemType: 'array'; items: GgufArrayValue[] };
export type GgufArrayValue = Extract<GgufValue, { type: 'array' }>;

const NUMBER_TYPES: ReadonlySet<GgufValueType> = new Set([
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'u64',
  'i64',
  'f64',
]);

/**
 * Typed access to a GGUF file's metadata. Every accessor names the file and the key, and says what
 * type was expected, when the key is missing or holds something else.
 */
export class GgufMetadata {
  constructor(
    readonly entries: ReadonlyMap<string, GgufValue>,
    readonly file: string,
  ) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  private fail(key: string, expected: string, found?: GgufValue): never {
    const got = found === undefined ? 'the key is missing' : `found ${describe(found)}`;
    throw new ValidationError(`expected ${expected}; ${got}`, { location: { file: this.file, field: key } });
  }

  optionalNumber(key: string): number | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type === 'array' || !NUMBER_TYPES.has(v.type)) this.fail(key, 'a number', v);
    if (typeof v.value === 'bigint') this.fail(key, 'a number below 2^53', v);
    return v.value as number;
  }

  number(key: string): number {
    return this.optionalNumber(key) ?? this.fail(key, 'a number');
  }

  optionalString(key: string): string | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type !== 'string') this.fail(key, 'a string', v);
    return v.value as string;
  }

  string(key: string): string {
    return this.optionalString(key) ?? this.fail(key, 'a string');
  }

  optionalBool(key: string): boolean | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type !== 'bool') this.fail(key, 'a bool', v);
    return v.value as boolean;
  }

  optionalStringArray(key: string): string[] | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type !== 'array' || v.itemType !== 'string') this.fail(key, 'an array of strings', v);
    return v.items as string[];
  }

  stringArray(key: string): string[] {
    return this.optionalStringArray(key) ?? this.fail(key, 'an array of strings');
  }

  optionalNumberArray(key: string): number[] | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    if (v.type !== 'array' || !NUMBER_TYPES.has(v.itemType)) this.fail(key, 'an array of numbers', v);
    if (v.items.some((x) => typeof x !== 'number')) this.fail(key, 'an array of numbers below 2^53', v);
    return v.items as number[];
  }
}

function describe(v: GgufValue): string {
  if (v.type === 'array') return `an array of ${v.itemType} (${v.items.length} items)`;
  const shown = typeof v.value === 'string' && v.value.length > 40 ? `${v.value.slice(0, 40)}…` : v.value;
  return `${v.type} ${JSON.stringify(typeof shown === 'bigint' ? shown.toString() : shown)}`;
}
