import { open } from 'node:fs/promises';
import { ValidationError } from '../../util/errors.ts';
import {
  DTYPE_BYTES,
  floatCodec,
  type SafetensorsEntry,
  SafetensorsEntrySchema,
  SafetensorsMetadataSchema,
} from './safetensors-format.ts';

const MAX_HEADER_BYTES = 100 << 20;

export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: string;
  /** Row-major shape as written (PyTorch order: a Linear weight is [out, in]). */
  readonly shape: readonly number[];
  readonly elementCount: number;
  /** Absolute byte range in the file (or buffer). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly file: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
  readonly dataOffset: number;
  readonly fileSize: number;
}

function fail(file: string, message: string, field?: string): never {
  throw new ValidationError(message, { location: field === undefined ? { file } : { file, field } });
}

/**
 * Parse the JSON header given its bytes. `dataOffset` is where tensor data starts (8 + header
 * length); `fileSize` bounds the byte ranges.
 */
export function parseSafetensorsHeader(options: {
  json: Uint8Array;
  file: string;
  dataOffset: number;
  fileSize: number;
}): SafetensorsHeader {
  const { json, file, dataOffset, fileSize } = options;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(json));
  } catch (err) {
    fail(file, `the header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(file, 'expected the header to be a JSON object of tensors');
  }
  let metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      const m = SafetensorsMetadataSchema.safeParse(value);
      if (!m.success) fail(file, 'expected __metadata__ to map strings to strings', '__metadata__');
      metadata = m.data;
      continue;
    }
    const entry = SafetensorsEntrySchema.safeParse(value);
    if (!entry.success) {
      const issue = entry.error.issues[0]!;
      fail(file, `expected {dtype, shape, data_offsets}: ${issue.message}`, [name, ...issue.path].join('.'));
    }
    tensors.set(name, tensorInfo({ name, entry: entry.data, file, dataOffset, fileSize }));
  }
  return { file, metadata, tensors, dataOffset, fileSize };
}

function tensorInfo(options: {
  name: string;
  entry: SafetensorsEntry;
  file: string;
  dataOffset: number;
  fileSize: number;
}): SafetensorsTensorInfo {
  const { name, entry, file, dataOffset, fileSize } = options;
  const bytesPer = DTYPE_BYTES[entry.dtype];
  if (bytesPer === undefined) {
    fail(
      file,
      `unknown dtype '${entry.dtype}'; known: ${Object.keys(DTYPE_BYTES).join(', ')}`,
      `${name}.dtype`,
    );
  }
  const elementCount = entry.shape.reduce((a, b) => a * b, 1);
  const [begin, end] = entry.data_offsets;
  if (end - begin !== elementCount * bytesPer) {
    fail(
      file,
      `data_offsets [${begin}, ${end}] hold ${end - begin} bytes; shape [${entry.shape}] of ${entry.dtype} needs ${elementCount * bytesPer}`,
      `${name}.data_offsets`,
    );
  }
  if (dataOffset + end > fileSize) {
    fail(
      file,
      `truncated file: tensor '${name}' ends at byte ${dataOffset + end} but the file has ${fileSize} bytes`,
    );
  }
  return {
    name,
    dtype: entry.dtype,
    shape: entry.shape,
    elementCount,
    begin: dataOffset + begin,
    end: dataOffset + end,
  };
}

function headerLength(prefix: Uint8Array, file: string, fileSize: number): number {
  if (prefix.byteLength < 8)
    fail(file, `truncated file: ${fileSize} bytes is shorter than the 8-byte header length`);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES))
    fail(file, `header length ${length} is not plausible (a safetensors file?)`);
  if (8 + Number(length) > fileSize) {
    fail(
      file,
      `truncated file: the header needs ${length} bytes but the file has ${fileSize - 8} after the length`,
    );
  }
  return Number(length);
}

/** Read and parse the header of a safetensors file (only the header bytes are read). */
export async function readSafetensorsHeader(options: { path: string }): Promise<SafetensorsHeader> {
  const { path } = options;
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw new ValidationError(`cannot open safetensors file: ${(err as Error).message}`, {
      location: { file: path },
    });
  });
  try {
    const fileSize = (await handle.stat()).size;
    const prefix = new Uint8Array(Math.min(8, fileSize));
    await handle.read(prefix, 0, prefix.byteLength, 0);
    const length = headerLength(prefix, path, fileSize);
    const json = new Uint8Array(length);
    await handle.read(json, 0, length, 8);
    return parseSafetensorsHeader({ json, file: path, dataOffset: 8 + length, fileSize });
  } finally {
    await handle.close();
  }
}

/** Parse safetensors bytes held in memory (a checkpoint from the artifact store). */
export function decodeSafetensors(options: { bytes: Uint8Array; source: string }): {
  header: SafetensorsHeader;
  tensor(name: string): Float32Array;
} {
  const { bytes, source } = options;
  const length = headerLength(bytes.subarray(0, 8), source, bytes.byteLength);
  const header = parseSafetensorsHeader({
    json: bytes.subarray(8, 8 + length),
    file: source,
    dataOffset: 8 + length,
    fileSize: bytes.byteLength,
  });
  return {
    header,
    tensor: (name) => {
      const info = tensorOrFail(header, name);
      return toFloat32(header, info, bytes.subarray(info.begin, info.end));
    },
  };
}

function tensorOrFail(header: SafetensorsHeader, name: string): SafetensorsTensorInfo {
  const info = header.tensors.get(name);
  if (info === undefined) fail(header.file, `no tensor named '${name}' (${header.tensors.size} tensors)`);
  return info;
}

function toFloat32(header: SafetensorsHeader, info: SafetensorsTensorInfo, bytes: Uint8Array): Float32Array {
  let codec: ReturnType<typeof floatCodec>;
  try {
    codec = floatCodec(info.dtype);
  } catch (err) {
    fail(header.file, `tensor '${info.name}': ${(err as Error).message}`);
  }
  return codec.decode(bytes, info.elementCount);
}

/** One tensor converted to float32 (F32, F16 or BF16), reading only its byte range. */
export async function readSafetensorsTensor(options: {
  header: SafetensorsHeader;
  name: string;
}): Promise<Float32Array> {
  const { header, name } = options;
  const info = tensorOrFail(header, name);
  const bytes = new Uint8Array(info.end - info.begin);
  const handle = await open(header.file, 'r');
  try {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesRead } = await handle.read(bytes, done, bytes.byteLength - done, info.begin + done);
      if (bytesRead === 0) fail(header.file, `truncated file while reading tensor '${name}'`);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return toFloat32(header, info, bytes);
}
