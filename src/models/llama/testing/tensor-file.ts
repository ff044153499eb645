import { readFile, writeFile } from 'node:fs/promises';
import type { DType } from '../../../graph/dtype.ts';
import { fromData, type HostTensor } from '../../../graph/tensor.ts';
import { ValidationError } from '../../../util/errors.ts';

/**
 * Host tensors to and from a safetensors file with F64, F32 and I64 entries (the project's writer
 * stores model weights as F32/F16/BF16 only). Used to exchange weights, inputs and results with the
 * PyTorch oracle in scripts/torch-oracle/.
 */
const CODES: Partial<Record<DType, string>> = { float64: 'F64', float32: 'F32', int64: 'I64' };
const TYPES: Record<string, DType> = { F64: 'float64', F32: 'float32', I64: 'int64' };

export async function writeTensorFile(path: string, tensors: ReadonlyMap<string, HostTensor>): Promise<void> {
  const header: Record<string, unknown> = {};
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of [...tensors].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const code = CODES[t.dtype];
    if (code === undefined) throw new ValidationError(`tensor ${name}: ${t.dtype} cannot be exchanged`);
    const blob = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: code, shape: t.dims, data_offsets: [offset, offset + blob.byteLength] };
    blobs.push(blob);
    offset += blob.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  await writeFile(path, Buffer.concat([size, Buffer.from(json), ...blobs]));
}

export async function readTensorFile(path: string): Promise<Map<string, HostTensor>> {
  const bytes = await readFile(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, HostTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = TYPES[entry.dtype];
    if (dtype === undefined)
      throw new ValidationError(`${path}: tensor ${name} has unsupported dtype ${entry.dtype}`);
    const [begin, end] = entry.data_offsets;
    const raw = bytes.subarray(8 + n + begin, 8 + n + end);
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    const data =
      dtype === 'float64'
        ? new Float64Array(copy.buffer)
        : dtype === 'float32'
          ? new Float32Array(copy.buffer)
          : new BigInt64Array(copy.buffer);
    out.set(name, fromData({ dtype, dims: entry.shape, data }));
  }
  return out;
}
