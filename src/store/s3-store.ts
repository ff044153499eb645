import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { ValidationError } from '../util/errors.ts';
import { Address, addressOf, digestOf, parseAddress, parseRefName, RefName } from './address.ts';
import { canonicalJson } from './canonical-json.ts';
import { probeConditionalWrites } from './conditional-writes.ts';
import {
  ArtifactNotFoundError,
  CorruptArtifactError,
  compareAndSetConflict,
  createOnlyConflict,
} from './errors.ts';
import { LocalFolderStore } from './local-store.ts';
import { type PutCondition, S3Bucket } from './s3-bucket.ts';
import { describeS3Location, type S3StoreLocation } from './store-location.ts';
import { parseStoredJson } from './stored-json.ts';
import type { ArtifactStore, RefEntry, RefWriteMode, RefWriteResult, StoredObject } from './store.ts';

const REF_SUFFIX = '.ref';
/** Refs read at once while listing. */
const LIST_READS = 32;

/**
 * The artifact store in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW), for workers on several
 * machines. The layout under the prefix matches the local store's:
 *
 *   objects/ab/cdef...   content, named by the SHA-256 hex digest; uploaded with that digest as its
 *                        checksum, so the server refuses bytes that do not match it
 *   refs/<name>.ref      one line: the address the ref names
 *
 * Ref writes are conditional requests: create-only is `If-None-Match: *`, compare-and-set is
 * `If-Match: <the ETag read>` (`If-None-Match: *` when the ref is expected not to exist), so two
 * writers on two machines cannot both win. Before its first ref write the store checks that the
 * server honours both headers (conditional-writes.ts) and refuses to go on when it does not.
 *
 * Every read is checked against the address. Objects read are kept in a local read-through cache
 * (a LocalFolderStore in `cacheDir`, one per worker): they are immutable and content-addressed, so a
 * cached copy is always right, and a big checkpoint is fetched once per machine. A damaged cache
 * copy is dropped and fetched again. `has` and every ref ask the bucket, never the cache.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly location: string;
  readonly cacheDir: string;
  private readonly bucket: S3Bucket;
  /** '' or `<prefix>/`. */
  private readonly root: string;
  private readonly cache: LocalFolderStore;
  private probe: Promise<void> | undefined;

  /** `listPageSize`: keys per listing request (default: the server's); tests make pages small. */
  constructor(options: Omit<S3StoreLocation, 'type'> & { listPageSize?: number }) {
    this.bucket = new S3Bucket({
      bucket: options.bucket,
      endpoint: options.endpoint,
      region: options.region,
      ...(options.listPageSize === undefined ? {} : { pageSize: options.listPageSize }),
    });
    this.root = options.prefix === '' ? '' : `${options.prefix}/`;
    this.location = describeS3Location(options);
    this.cacheDir = resolve(options.cacheDir);
    this.cache = new LocalFolderStore({ root: this.cacheDir });
  }

  async putBytes(bytes: Uint8Array): Promise<StoredObject> {
    const address = addressOf(bytes);
    await this.upload({ address, size: bytes.byteLength, body: bytes });
    return { address, size: bytes.byteLength };
  }

  putJson(value: unknown): Promise<StoredObject> {
    return this.putBytes(Buffer.from(canonicalJson(value), 'utf8'));
  }

  /** Hashes the file (one read), then streams it up: it is never held in memory whole. */
  async putFile(path: string): Promise<StoredObject> {
    const { address, size } = await hashFile(path);
    await this.upload({ address, size, body: () => createReadStream(path) });
    return { address, size };
  }

  async getBytes(address: string): Promise<Uint8Array> {
    const checked = parseAddress(address);
    const cached = await this.fromCache(checked);
    if (cached !== undefined) return cached;
    const key = this.objectKey(checked);
    const got = await this.bucket.get(key);
    if (got === undefined) {
      throw new ArtifactNotFoundError(
        `artifact ${checked} is not in the store at ${this.location} (no ${key})`,
      );
    }
    const actual = addressOf(got.bytes);
    if (actual !== checked) {
      throw new CorruptArtifactError(
        `stored object ${checked} is damaged (${got.bytes.byteLength} bytes that hash to ${actual}); it is not loaded`,
        { location: { file: this.bucket.describe(key) } },
      );
    }
    await this.cache.putBytes(got.bytes);
    return got.bytes;
  }

  getJson<S extends z.ZodType>(address: string, schema: S): Promise<z.output<S>>;
  getJson(address: string): Promise<unknown>;
  async getJson(address: string, schema?: z.ZodType): Promise<unknown> {
    const bytes = await this.getBytes(address);
    return parseStoredJson({ address, bytes, ...(schema === undefined ? {} : { schema }) });
  }

  /** Fetches the object into the cache (when it is not there), then copies it atomically to `path`. */
  async getFile(address: string, path: string): Promise<void> {
    await this.getBytes(address);
    await this.cache.getFile(address, path);
  }

  async has(address: string): Promise<boolean> {
    return (await this.bucket.head(this.objectKey(parseAddress(address)))) !== undefined;
  }

  async setRef(name: string, address: Address, mode: RefWriteMode): Promise<RefWriteResult> {
    const key = this.refKey(name);
    parseAddress(address);
    if (!(await this.has(address))) {
      throw new ValidationError(`ref ${name} cannot point at ${address}: the store holds no such object`);
    }
    await this.checkConditionalWrites();
    if (mode.mode === 'overwrite') {
      const previous = await this.getRef(name);
      await this.writeRef(key, address);
      return { created: previous !== address, previous };
    }
    if (mode.mode === 'create-only') return this.createOnly({ name, key, address });
    return this.compareAndSet({ name, key, address, expected: mode.expected });
  }

  async getRef(name: string): Promise<Address | undefined> {
    return (await this.readRef(name))?.address;
  }

  async listRefs(prefix = ''): Promise<RefEntry[]> {
    const base = `${this.root}refs/`;
    const names: string[] = [];
    for await (const key of this.bucket.list(`${base}${prefix}`)) {
      if (!key.endsWith(REF_SUFFIX)) continue;
      const name = key.slice(base.length, -REF_SUFFIX.length);
      if (RefName.safeParse(name).success) names.push(name);
    }
    const entries: RefEntry[] = [];
    for (let i = 0; i < names.length; i += LIST_READS) {
      const batch = await Promise.all(
        names.slice(i, i + LIST_READS).map(async (name) => ({ name, address: await this.getRef(name) })),
      );
      for (const { name, address } of batch) if (address !== undefined) entries.push({ name, address });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Checks once per store (again after a failure) that the server honours conditional writes; a
   * `StoreCapabilityError` says it does not. Ref writes call it; workers call it when they start.
   */
  checkConditionalWrites(): Promise<void> {
    this.probe ??= probeConditionalWrites({ bucket: this.bucket, prefix: this.root }).catch(
      (err: unknown) => {
        this.probe = undefined;
        throw err;
      },
    );
    return this.probe;
  }

  /** Removes files older than `olderThanMs` from the cache's tmp/ (left by killed processes). */
  cleanTemp(options: { olderThanMs?: number } = {}): Promise<number> {
    return this.cache.cleanTemp(options);
  }

  private objectKey(address: Address): string {
    const hex = digestOf(address);
    return `${this.root}objects/${hex.slice(0, 2)}/${hex.slice(2)}`;
  }

  private refKey(name: string): string {
    return `${this.root}refs/${parseRefName(name)}${REF_SUFFIX}`;
  }

  /** Uploads an object unless the bucket holds it already (same key, same size: same content). */
  private async upload(options: {
    address: Address;
    size: number;
    body: Uint8Array | (() => Readable);
  }): Promise<void> {
    const key = this.objectKey(options.address);
    if ((await this.bucket.head(key))?.size === options.size) return;
    await this.bucket.put({
      key,
      body: options.body,
      size: options.size,
      sha256: digestOf(options.address),
    });
  }

  private async createOnly(options: {
    name: string;
    key: string;
    address: Address;
  }): Promise<RefWriteResult> {
    const { name, key, address } = options;
    if ((await this.writeRef(key, address, { ifNoneMatch: '*' })) === 'written') {
      return { created: true, previous: undefined };
    }
    const current = await this.getRef(name);
    if (current === address) return { created: false, previous: current };
    throw createOnlyConflict({ ref: name, current, attempted: address });
  }

  private async compareAndSet(options: {
    name: string;
    key: string;
    address: Address;
    expected: Address | undefined;
  }): Promise<RefWriteResult> {
    const { name, key, address, expected } = options;
    const held = await this.readRef(name);
    const current = held?.address;
    if (current !== expected)
      throw compareAndSetConflict({ ref: name, current, expected, attempted: address });
    if (current === address) return { created: false, previous: current };
    const condition: PutCondition = held === undefined ? { ifNoneMatch: '*' } : { ifMatch: held.etag };
    if ((await this.writeRef(key, address, condition)) === 'written')
      return { created: true, previous: current };
    const now = await this.getRef(name);
    // The ref holds what this write wanted: the SDK retried a request that had landed, or an
    // identical write won. Either way the ref moved from `expected` to `address`.
    if (now === address) return { created: true, previous: current };
    throw compareAndSetConflict({ ref: name, current: now, expected, attempted: address });
  }

  private async writeRef(
    key: string,
    address: Address,
    condition?: PutCondition,
  ): Promise<'written' | 'refused'> {
    const body = Buffer.from(`${address}\n`, 'utf8');
    const put = await this.bucket.put({
      key,
      body,
      size: body.byteLength,
      ...(condition === undefined ? {} : { condition }),
    });
    return put === 'precondition-failed' ? 'refused' : 'written';
  }

  private async readRef(name: string): Promise<{ address: Address; etag: string } | undefined> {
    const key = this.refKey(name);
    const got = await this.bucket.get(key);
    if (got === undefined) return undefined;
    const text = Buffer.from(got.bytes).toString('utf8').trim();
    if (!Address.safeParse(text).success) {
      throw new CorruptArtifactError(`ref ${name} holds '${text.slice(0, 80)}', not a content address`, {
        location: { file: this.bucket.describe(key) },
      });
    }
    return { address: text, etag: got.etag };
  }

  /** The cached copy's bytes (verified), or undefined; a damaged copy is removed. */
  private async fromCache(address: Address): Promise<Uint8Array | undefined> {
    try {
      return await this.cache.getBytes(address);
    } catch (err) {
      if (err instanceof ArtifactNotFoundError) return undefined;
      if (err instanceof CorruptArtifactError) {
        await rm(this.cache.objectPath(address), { force: true });
        return undefined;
      }
      throw err;
    }
  }
}

/** The address and size of a file's content, read as a stream. */
async function hashFile(path: string): Promise<StoredObject> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ENOENT' ||
      (err as NodeJS.ErrnoException).code === 'EISDIR'
    ) {
      throw new ValidationError(`cannot store file: ${(err as Error).message}`, { location: { file: path } });
    }
    throw err;
  }
  return { address: `sha256:${hash.digest('hex')}`, size };
}
