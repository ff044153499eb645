import { rename, rm, writeFile } from 'node:fs/promises';
import { ValidationError } from '../../util/errors.ts';
import { sha256Hex } from './content-hash.ts';
import { floatCodec, type SafetensorsFloatDtype } from './safetensors-format.ts';

export interface SafetensorsWriterTensor {
  readonly name: string;
  /** Row-major shape ([out, in] for a Linear weight). */
  readonly shape: readonly number[];
  readonly dtype: SafetensorsFloatDtype;
  readonly data: Float32Array;
}

/**
 * Encode tensors and string metadata as safetensors bytes. Deterministic: tensors and metadata keys
 * are written in sorted order, so equal content gives equal bytes and an equal content hash.
 */
export function encodeSafetensors(options: {
  tensors: readonly SafetensorsWriterTensor[];
  metadata?: Readonly<Record<string, string>>;
}): Uint8Array {
  const tensors = [...options.tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  const metadata = options.metadata ?? {};
  if (Object.keys(metadata).length > 0) {
    header['__metadata__'] = Object.fromEntries(
      Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  }
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || names.has(t.name)) {
      throw new ValidationError(`tensor name '${t.name}' is reserved or repeated`);
    }
    names.add(t.name);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new ValidationError(
        `tensor '${t.name}': shape [${t.shape}] holds ${count} values, data has ${t.data.length}`,
      );
    }
    const blob = floatCodec(t.dtype).encode(t.data);
    header[t.name] = {
      dtype: t.dtype,
      shape: [...t.shape],
      data_offsets: [offset, offset + blob.byteLength],
    };
    blobs.push(blob);
    offset += blob.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces to a multiple of 8 so tensor data starts aligned.
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const withPad = new Uint8Array(padded).fill(0x20);
    withPad.set(json);
    json = withPad;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.byteLength;
  }
  return out;
}

/**
 * Write a safetensors file atomically (a `.partial` file renamed into place) and return its sha256,
 * the checkpoint's content address.
 */
export async function writeSafetensors(options: {
  path: string;
  tensors: readonly SafetensorsWriterTensor[];
  metadata?: Readonly<Record<string, string>>;
}): Promise<{ path: string; sha256: string; byteLength: number }> {
  const bytes = encodeSafetensors(
    options.metadata === undefined
      ? { tensors: options.tensors }
      : { tensors: options.tensors, metadata: options.metadata },
  );
  const partial = `${options.path}.partial`;
  try {
    await writeFile(partial, bytes);
    await rename(partial, options.path);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return { path: options.path, sha256: sha256Hex(bytes), byteLength: bytes.byteLength };
}
