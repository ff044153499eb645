import { open } from 'node:fs/promises';
import { ValidationError } from '../../util/errors.ts';
import { ByteCursor, narrowBigint, OutOfBytes } from './byte-cursor.ts';
import { dequantize } from './dequantize.ts';
import { type GgmlTypeTraits, ggmlByteLength, ggmlTypeById } from './ggml-types.ts';
import {
  GGUF_VALUE_TYPES,
  type GgufArrayValue,
  GgufMetadata,
  type GgufScalar,
  type GgufScalarType,
  type GgufValue,
} from './gguf-metadata.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;
const SUPPORTED_VERSIONS = [2, 3];
const FIRST_WINDOW = 4 << 20;

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml order: ne[0] is the fastest-varying dimension (the input dimension of a weight). */
  readonly ne: readonly number[];
  /** Row-major order, slowest first (ne reversed): a weight matrix is [out, in]. */
  readonly shape: readonly number[];
  readonly type: GgmlTypeTraits;
  readonly elementCount: number;
  readonly byteLength: number;
  /** Offset inside the tensor-data section, as written in the file. */
  readonly relativeOffset: number;
  /** Absolute offset of the first byte in the file. */
  readonly fileOffset: number;
}

export interface GgufHeader {
  readonly file: string;
  readonly version: number;
  readonly alignment: number;
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensorInfo[];
  readonly tensorsByName: ReadonlyMap<string, GgufTensorInfo>;
  /** Absolute offset of the tensor-data section. */
  readonly dataOffset: number;
  readonly fileSize: number;
}

/** Parse state, so a truncated file can say what was being read when the bytes ran out. */
interface ParseState {
  reading: string;
}

function fail(file: string, message: string, field?: string): never {
  throw new ValidationError(message, { location: field === undefined ? { file } : { file, field } });
}

function readString(c: ByteCursor, file: string, what: string): string {
  const length = c.u64();
  if (length > BigInt(1 << 30)) fail(file, `${what}: string length ${length} is not plausible`);
  return c.utf8(Number(length));
}

function readScalar(c: ByteCursor, type: GgufScalarType, file: string, key: string): GgufScalar {
  switch (type) {
    case 'u8':
      return c.u8();
    case 'i8':
      return c.i8();
    case 'u16':
      return c.u16();
    case 'i16':
      return c.i16();
    case 'u32':
      return c.u32();
    case 'i32':
      return c.i32();
    case 'f32':
      return c.f32();
    case 'bool':
      return c.u8() !== 0;
    case 'string':
      return readString(c, file, `metadata key '${key}'`);
    case 'u64':
      return narrowBigint(c.u64());
    case 'i64':
      return narrowBigint(c.i64());
    case 'f64':
      return c.f64();
  }
}

function valueType(id: number, file: string, key: string): (typeof GGUF_VALUE_TYPES)[number] {
  const type = GGUF_VALUE_TYPES[id];
  if (type === undefined) {
    fail(file, `unknown metadata value type ${id}; expected 0-${GGUF_VALUE_TYPES.length - 1}`, key);
  }
  return type;
}

function readArray(c: ByteCursor, file: string, key: string): GgufArrayValue {
  const itemType = valueType(c.u32(), file, key);
  const count = c.u64();
  if (count > BigInt(c.remaining())) fail(file, `array of ${count} items cannot fit in the file`, key);
  const n = Number(count);
  if (itemType === 'array') {
    const items: GgufArrayValue[] = [];
    for (let i = 0; i < n; i++) items.push(readArray(c, file, `${key}[${i}]`));
    return { type: 'array', itemType, items };
  }
  const items: GgufScalar[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = readScalar(c, itemType, file, key);
  return { type: 'array', itemType, items };
}

function readValue(c: ByteCursor, file: string, key: string): GgufValue {
  const type = valueType(c.u32(), file, key);
  if (type === 'array') return readArray(c, file, key);
  return { type, value: readScalar(c, type, file, key) };
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/**
 * Parse a GGUF header from the first bytes of a file. Throws `OutOfBytes` when `bytes` ends before
 * the header does (the caller reads more), ValidationError for anything malformed.
 */
export function parseGgufHeader(options: {
  bytes: Uint8Array;
  file: string;
  fileSize: number;
  state?: ParseState;
}): GgufHeader {
  const { bytes, file, fileSize } = options;
  const state = options.state ?? { reading: 'header' };
  const c = new ByteCursor(bytes, fileSize);
  state.reading = 'magic';
  const magic = c.u32();
  if (magic !== GGUF_MAGIC) {
    const shown = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(file, `bad magic: expected "GGUF" (47 47 55 46), found ${shown}`);
  }
  state.reading = 'version';
  const version = c.u32();
  if (!SUPPORTED_VERSIONS.includes(version)) {
    const hint = version > 0xffff ? ' (a big-endian file?)' : '';
    fail(file, `unsupported GGUF version ${version}${hint}; supported: ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  state.reading = 'counts';
  const tensorCount = Number(c.u64());
  const kvCount = Number(c.u64());
  if (tensorCount > 1 << 24 || kvCount > 1 << 24) {
    fail(file, `implausible counts: ${tensorCount} tensors, ${kvCount} metadata keys`);
  }

  const entries = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    state.reading = `metadata key ${i} of ${kvCount}`;
    const key = readString(c, file, state.reading);
    state.reading = `metadata value of '${key}'`;
    if (entries.has(key)) fail(file, 'duplicate metadata key', key);
    entries.set(key, readValue(c, file, key));
  }
  const metadata = new GgufMetadata(entries, file);
  const alignment = metadata.optionalNumber('general.alignment') ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    fail(file, `expected a positive multiple of 8, found ${alignment}`, 'general.alignment');
  }

  const raw: { name: string; ne: number[]; typeId: number; offset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    state.reading = `tensor info ${i} of ${tensorCount}`;
    const name = readString(c, file, state.reading);
    state.reading = `tensor info of '${name}'`;
    const nDims = c.u32();
    if (nDims < 1 || nDims > 4) fail(file, `tensor '${name}': expected 1-4 dimensions, found ${nDims}`);
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) ne.push(Number(c.u64()));
    const typeId = c.u32();
    const offset = Number(c.u64());
    raw.push({ name, ne, typeId, offset });
  }
  const dataOffset = alignUp(c.position, alignment);

  const tensors: GgufTensorInfo[] = [];
  const tensorsByName = new Map<string, GgufTensorInfo>();
  for (const t of raw) {
    const info = tensorInfo({ ...t, file, alignment, dataOffset, fileSize });
    if (tensorsByName.has(info.name)) fail(file, `duplicate tensor name '${info.name}'`);
    tensors.push(info);
    tensorsByName.set(info.name, info);
  }
  return { file, version, alignment, metadata, tensors, tensorsByName, dataOffset, fileSize };
}

function tensorInfo(options: {
  name: string;
  ne: number[];
  typeId: number;
  offset: number;
  file: string;
  alignment: number;
  dataOffset: number;
  fileSize: number;
}): GgufTensorInfo {
  const { name, ne, typeId, offset, file, alignment, dataOffset, fileSize } = options;
  const type = ggmlTypeById(typeId);
  if (type === undefined) fail(file, `tensor '${name}': unknown ggml type id ${typeId}`);
  if (ne.some((n) => !Number.isSafeInteger(n) || n < 0))
    fail(file, `tensor '${name}': bad dimensions [${ne}]`);
  if (ne[0]! % type.blockElements !== 0) {
    fail(
      file,
      `tensor '${name}': row length ${ne[0]} is not a multiple of the ${type.name} block size ${type.blockElements}`,
    );
  }
  if (offset % alignment !== 0) {
    fail(file, `tensor '${name}': data offset ${offset} is not a multiple of the alignment ${alignment}`);
  }
  const elementCount = ne.reduce((a, b) => a * b, 1);
  const byteLength = ggmlByteLength({ traits: type, elements: elementCount });
  const fileOffset = dataOffset + offset;
  if (fileOffset + byteLength > fileSize) {
    fail(
      file,
      `truncated file: tensor '${name}' needs bytes ${fileOffset}-${fileOffset + byteLength} but the file has ${fileSize} bytes`,
    );
  }
  return {
    name,
    ne,
    shape: [...ne].reverse(),
    type,
    elementCount,
    byteLength,
    relativeOffset: offset,
    fileOffset,
  };
}

/** Read and parse the header of a GGUF file, reading only as much of the file as the header needs. */
export async function readGgufHeader(options: { path: string }): Promise<GgufHeader> {
  const { path } = options;
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw new ValidationError(`cannot open GGUF file: ${(err as Error).message}`, {
      location: { file: path },
    });
  });
  try {
    const fileSize = (await handle.stat()).size;
    let window = Math.min(fileSize, FIRST_WINDOW);
    for (;;) {
      const bytes = new Uint8Array(window);
      await readFully({ handle, into: bytes, position: 0, file: path, what: 'the header' });
      const state: ParseState = { reading: 'header' };
      try {
        return parseGgufHeader({ bytes, file: path, fileSize, state });
      } catch (err) {
        if (!(err instanceof OutOfBytes)) throw err;
        if (window >= fileSize || err.needed > fileSize) {
          fail(path, `truncated file: it ends (${fileSize} bytes) while reading ${state.reading}`);
        }
        window = Math.min(fileSize, Math.max(window * 2, err.needed));
      }
    }
  } finally {
    await handle.close();
  }
}

async function readFully(options: {
  handle: Awaited<ReturnType<typeof open>>;
  into: Uint8Array;
  position: number;
  file: string;
  what: string;
}): Promise<void> {
  const { handle, into, position, file, what } = options;
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) fail(file, `truncated file: it ended while reading ${what}`);
    done += bytesRead;
  }
}

function tensorOrFail(header: GgufHeader, name: string): GgufTensorInfo {
  const info = header.tensorsByName.get(name);
  if (info === undefined) {
    const sample = header.tensors.slice(0, 5).map((t) => t.name);
    fail(
      header.file,
      `no tensor named '${name}' (${header.tensors.length} tensors, e.g. ${sample.join(', ')})`,
    );
  }
  return info;
}

/** The stored bytes of one tensor, read from its byte range only. */
export async function readGgufTensorBytes(options: {
  header: GgufHeader;
  name: string;
}): Promise<Uint8Array> {
  const { header, name } = options;
  const info = tensorOrFail(header, name);
  const bytes = new Uint8Array(info.byteLength);
  const handle = await open(header.file, 'r');
  try {
    await readFully({
      handle,
      into: bytes,
      position: info.fileOffset,
      file: header.file,
      what: `tensor '${name}'`,
    });
  } finally {
    await handle.close();
  }
  return bytes;
}

/** One tensor dequantised to float32, in row-major order (the shape of `info.shape`). */
export async function readGgufTensor(options: { header: GgufHeader; name: string }): Promise<Float32Array> {
  const { header, name } = options;
  const info = tensorOrFail(header, name);
  const bytes = await readGgufTensorBytes({ header, name });
  return dequantize({
    type: info.type,
    bytes,
    elementCount: info.elementCount,
    source: `${header.file}: tensor '${name}'`,
  });
}
