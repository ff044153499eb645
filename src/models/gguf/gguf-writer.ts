import { open, rename, rm } from 'node:fs/promises';
import { ValidationError } from '../../util/errors.ts';
import { floatToHalf } from './float16.ts';
import { GGUF_VALUE_TYPES, type GgufScalar, type GgufScalarType, type GgufValue } from './gguf-metadata.ts';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './gguf-reader.ts';

/** Storage types the writer can produce. */
export const GGUF_WRITABLE_TYPES = { F32: { id: 0, bytes: 4 }, F16: { id: 1, bytes: 2 } } as const;
export type GgufWritableType = keyof typeof GGUF_WRITABLE_TYPES;

export interface GgufWriterTensor {
  readonly name: string;
  /** Row-major shape, slowest first: a weight is [out, in]. Written as ne = shape reversed. */
  readonly shape: readonly number[];
  readonly type: GgufWritableType;
  readonly data: Float32Array;
}

/** Appends little-endian values to a growing buffer. */
class ByteBuilder {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  /**
   * Claim n bytes and return their offset. Growing replaces this.buffer and this.view, so callers
   * take the offset before touching either.
   */
  private reserve(n: number): number {
    if (this.length + n > this.buffer.byteLength) {
      let size = this.buffer.byteLength * 2;
      while (size < this.length + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buffer.subarray(0, this.length));
      this.buffer = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  u8(v: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }
  i8(v: number): void {
    const at = this.reserve(1);
    this.view.setInt8(at, v);
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, v, true);
  }
  i16(v: number): void {
    const at = this.reserve(2);
    this.view.setInt16(at, v, true);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
  }
  f64(v: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, v, true);
  }
  u64(v: number | bigint): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(v), true);
  }
  i64(v: number | bigint): void {
    const at = this.reserve(8);
    this.view.setBigInt64(at, BigInt(v), true);
  }
  string(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u64(bytes.byteLength);
    const at = this.reserve(bytes.byteLength);
    this.buffer.set(bytes, at);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.reserve(pad); // new bytes are already zero
  }
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

type ScalarWriter = (out: ByteBuilder, value: GgufScalar) => string | undefined;

/** An integer writer that checks the range first; returns what was expected when the value is off. */
function intWriter(
  method: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32',
  min: number,
  max: number,
): ScalarWriter {
  return (out, value) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return `an integer in [${min},${max}]`;
    }
    out[method](value);
    return undefined;
  };
}

function int64Writer(method: 'u64' | 'i64'): ScalarWriter {
  return (out, value) => {
    if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) {
      out[method](value);
      return undefined;
    }
    return 'an integer';
  };
}

function floatWriter(method: 'f32' | 'f64'): ScalarWriter {
  return (out, value) => {
    if (typeof value !== 'number') return 'a number';
    out[method](value);
    return undefined;
  };
}

/** One writer per scalar type; each returns undefined on success or a description of what it expected. */
const SCALAR_WRITERS: Record<GgufScalarType, ScalarWriter> = {
  u8: intWriter('u8', 0, 0xff),
  i8: intWriter('i8', -0x80, 0x7f),
  u16: intWriter('u16', 0, 0xffff),
  i16: intWriter('i16', -0x8000, 0x7fff),
  u32: intWriter('u32', 0, 0xffffffff),
  i32: intWriter('i32', -0x80000000, 0x7fffffff),
  u64: int64Writer('u64'),
  i64: int64Writer('i64'),
  f32: floatWriter('f32'),
  f64: floatWriter('f64'),
  bool: (out, value) => {
    if (typeof value !== 'boolean') return 'a boolean';
    out.u8(value ? 1 : 0);
    return undefined;
  },
  string: (out, value) => {
    if (typeof value !== 'string') return 'a string';
    out.string(value);
    return undefined;
  },
};

function writeScalar(out: ByteBuilder, type: GgufScalarType, value: GgufScalar, key: string): void {
  const expected = SCALAR_WRITERS[type](out, value);
  if (expected !== undefined) {
    throw new ValidationError(`expected ${expected} for a ${type} value, found ${String(value)}`, {
      location: { field: key },
    });
  }
}

function writeValue(out: ByteBuilder, value: GgufValue, key: string): void {
  out.u32(GGUF_VALUE_TYPES.indexOf(value.type));
  if (value.type !== 'array') {
    writeScalar(out, value.type, value.value, key);
    return;
  }
  out.u32(GGUF_VALUE_TYPES.indexOf(value.itemType));
  out.u64(value.items.length);
  if (value.itemType === 'array') {
    const items = value.items as Extract<GgufValue, { type: 'array' }>[];
    // Nested arrays are written without their own type tag: item type, count, items.
    items.forEach((inner, i) => {
      const nested = new ByteBuilder();
      writeValue(nested, inner, `${key}[${i}]`);
      for (const byte of nested.bytes().subarray(4)) out.u8(byte);
    });
    return;
  }
  const itemType = value.itemType;
  for (const item of value.items as GgufScalar[]) writeScalar(out, itemType, item, key);
}

/** Bytes of one tensor's data in the given storage type. */
export function encodeTensorData(tensor: GgufWriterTensor): Uint8Array {
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length) {
    throw new ValidationError(
      `tensor '${tensor.name}': shape [${tensor.shape}] holds ${count} values, data has ${tensor.data.length}`,
    );
  }
  if (tensor.type === 'F32') {
    return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength).slice();
  }
  const out = new Uint8Array(count * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) view.setUint16(i * 2, floatToHalf(tensor.data[i]!), true);
  return out;
}

/**
 * The header (magic through tensor infos, padded to the alignment) and the offset of each tensor
 * inside the data section.
 */
export function encodeGgufHeader(options: {
  metadata: ReadonlyMap<string, GgufValue>;
  tensors: readonly Pick<GgufWriterTensor, 'name' | 'shape' | 'type'>[];
}): { header: Uint8Array; offsets: number[]; alignment: number } {
  const { metadata, tensors } = options;
  const alignmentValue = metadata.get('general.alignment');
  const alignment =
    alignmentValue?.type === 'u32' && typeof alignmentValue.value === 'number'
      ? alignmentValue.value
      : GGUF_DEFAULT_ALIGNMENT;
  const out = new ByteBuilder();
  out.u32(GGUF_MAGIC);
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.size);
  for (const [key, value] of metadata) {
    out.string(key);
    writeValue(out, value, key);
  }
  const offsets: number[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new ValidationError(`duplicate tensor name '${t.name}'`);
    names.add(t.name);
    out.string(t.name);
    out.u32(t.shape.length);
    for (const n of [...t.shape].reverse()) out.u64(n);
    out.u32(GGUF_WRITABLE_TYPES[t.type].id);
    out.u64(offset);
    offsets.push(offset);
    const bytes = t.shape.reduce((a, b) => a * b, 1) * GGUF_WRITABLE_TYPES[t.type].bytes;
    offset += Math.ceil(bytes / alignment) * alignment;
  }
  out.padTo(alignment);
  return { header: out.bytes(), offsets, alignment };
}

/**
 * Write a GGUF v3 file of F32/F16 tensors. Streams one tensor at a time into `<path>.partial`, then
 * renames, so readers never see a half-written file.
 */
export async function writeGguf(options: {
  path: string;
  metadata: ReadonlyMap<string, GgufValue>;
  tensors: readonly GgufWriterTensor[];
}): Promise<void> {
  const { path, metadata, tensors } = options;
  const { header, alignment } = encodeGgufHeader({ metadata, tensors });
  const partial = `${path}.partial`;
  const handle = await open(partial, 'w');
  try {
    await handle.write(header);
    for (const tensor of tensors) {
      const data = encodeTensorData(tensor);
      await handle.write(data);
      const pad = (alignment - (data.byteLength % alignment)) % alignment;
      if (pad > 0) await handle.write(new Uint8Array(pad));
    }
    await handle.close();
    await rename(partial, path);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
}
