import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { ValidationError } from '../util/errors.ts';
import { type Address, addressOf, digestOf, parseAddress, parseRefName } from './address.ts';
import { canonicalJson } from './canonical-json.ts';
import {
  ArtifactNotFoundError,
  CorruptArtifactError,
  compareAndSetConflict,
  createOnlyConflict,
} from './errors.ts';
import { withFileLock } from './file-lock.ts';
import { parseStoredJson } from './stored-json.ts';
import type { ArtifactStore, RefEntry, RefWriteMode, RefWriteResult, StoredObject } from './store.ts';

const REF_SUFFIX = '.ref';

/**
 * The artifact store in a local folder:
 *
 *   objects/ab/cdef...   content, named by the SHA-256 hex digest (first two digits as a folder)
 *   refs/<name>.ref      one line: the address the ref names
 *   tmp/                 files being written; whatever a crash leaves here is never read
 *
 * Every write goes to a fresh file in tmp/, is flushed with fsync, then moved into place with a
 * single link or rename, so a reader sees the whole file or nothing. Objects are placed with
 * link(): an existing object (same name, so same content) is kept as it is, unless its size shows
 * it damaged (a truncated file left by something other than this store), which the new copy
 * replaces. Every read checks the bytes against their address, so a damaged object is reported
 * (CorruptArtifactError), never loaded. Create-only refs are placed with link() too, which fails
 * atomically when the ref exists; compare-and-set refs hold a lock file while they compare and rename.
 */
export class LocalFolderStore implements ArtifactStore {
  readonly root: string;
  readonly location: string;

  constructor(options: { root: string }) {
    this.root = resolve(options.root);
    this.location = this.root;
  }

  async putBytes(bytes: Uint8Array): Promise<StoredObject> {
    const address = addressOf(bytes);
    const target = this.objectPath(address);
    if ((await sizeOf(target)) !== bytes.byteLength) {
      const temp = await this.writeTemp(bytes);
      await this.place(temp, target);
    }
    return { address, size: bytes.byteLength };
  }

  putJson(value: unknown): Promise<StoredObject> {
    return this.putBytes(Buffer.from(canonicalJson(value), 'utf8'));
  }

  async putFile(path: string): Promise<StoredObject> {
    const temp = await this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        createReadStream(path),
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            size += chunk.byteLength;
            yield chunk;
          }
        },
        createWriteStream(temp, { flags: 'wx' }),
      );
      await fsyncFile(temp);
    } catch (err) {
      await rm(temp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(path))) {
        throw new ValidationError(`cannot store file: ${(err as Error).message}`, {
          location: { file: path },
        });
      }
      throw err;
    }
    const address: Address = `sha256:${hash.digest('hex')}`;
    await this.place(temp, this.objectPath(address));
    return { address, size };
  }

  async getBytes(address: string): Promise<Uint8Array> {
    const checked = parseAddress(address);
    const path = this.objectPath(checked);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw this.missing(checked);
      throw err;
    }
    if (addressOf(bytes) !== checked) {
      throw new CorruptArtifactError(
        `stored object ${checked} is damaged (${bytes.byteLength} bytes that hash to ${addressOf(bytes)}); it is not loaded. Storing the same content again repairs it`,
        { location: { file: path } },
      );
    }
    return bytes;
  }

  getJson<S extends z.ZodType>(address: string, schema: S): Promise<z.output<S>>;
  getJson(address: string): Promise<unknown>;
  async getJson(address: string, schema?: z.ZodType): Promise<unknown> {
    const bytes = await this.getBytes(address);
    return parseStoredJson({ address, bytes, ...(schema === undefined ? {} : { schema }) });
  }

  async getFile(address: string, path: string): Promise<void> {
    const bytes = await this.getBytes(address);
    const target = resolve(path);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.partial`;
    await writeSynced(temp, bytes);
    await rename(temp, target);
  }

  async has(address: string): Promise<boolean> {
    return exists(this.objectPath(parseAddress(address)));
  }

  async setRef(name: string, address: Address, mode: RefWriteMode): Promise<RefWriteResult> {
    const path = this.refPath(name);
    parseAddress(address);
    if (!(await this.has(address))) {
      throw new ValidationError(`ref ${name} cannot point at ${address}: the store holds no such object`);
    }
    await mkdir(dirname(path), { recursive: true });
    if (mode.mode === 'create-only') return this.createRef(name, path, address);
    if (mode.mode === 'overwrite') {
      const previous = await this.getRef(name);
      await this.place(await this.writeTemp(`${address}\n`), path, 'replace');
      return { created: previous !== address, previous };
    }
    return withFileLock({ path: `${path}.lock` }, async () => {
      const current = await this.getRef(name);
      if (current !== mode.expected) {
        throw compareAndSetConflict({ ref: name, current, expected: mode.expected, attempted: address });
      }
      if (current === address) return { created: false, previous: current };
      await this.place(await this.writeTemp(`${address}\n`), path, 'replace');
      return { created: true, previous: current };
    });
  }

  async getRef(name: string): Promise<Address | undefined> {
    const path = this.refPath(name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
    const address = text.trim();
    try {
      return parseAddress(address);
    } catch {
      throw new CorruptArtifactError(`ref ${name} holds '${address.slice(0, 80)}', not a content address`, {
        location: { file: path },
      });
    }
  }

  async listRefs(prefix = ''): Promise<RefEntry[]> {
    const base = join(this.root, 'refs');
    const out: RefEntry[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && entry.name.endsWith(REF_SUFFIX)) {
          const name = relative(base, path).slice(0, -REF_SUFFIX.length).split(sep).join('/');
          if (!name.startsWith(prefix)) continue;
          const address = await this.getRef(name);
          if (address !== undefined) out.push({ name, address });
        }
      }
    };
    // Only the folder the prefix's whole segments name is walked: the cost follows the refs under the
    // prefix, not every ref of every run in the store.
    const segments = prefix.split('/').slice(0, -1);
    const safe = segments.every((s) => /^[A-Za-z0-9._-]+$/.test(s) && s !== '.' && s !== '..');
    await walk(safe ? join(base, ...segments) : base);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Removes files in tmp/ older than `olderThanMs` (left by crashed writers). Returns how many. */
  async cleanTemp(options: { olderThanMs?: number } = {}): Promise<number> {
    const { olderThanMs = 60 * 60_000 } = options;
    const dir = join(this.root, 'tmp');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      if (st !== undefined && Date.now() - st.mtimeMs >= olderThanMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Local path of an object (for tools that read files, such as ONNX Runtime external data). */
  objectPath(address: Address): string {
    const hex = digestOf(address);
    return join(this.root, 'objects', hex.slice(0, 2), hex.slice(2));
  }

  refPath(name: string): string {
    return join(this.root, 'refs', ...parseRefName(name).split('/')) + REF_SUFFIX;
  }

  private async createRef(name: string, path: string, address: Address): Promise<RefWriteResult> {
    const temp = await this.writeTemp(`${address}\n`);
    try {
      await link(temp, path);
      await fsyncDir(dirname(path));
      return { created: true, previous: undefined };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const current = await this.getRef(name);
      if (current === address) return { created: false, previous: current };
      throw createOnlyConflict({ ref: name, current, attempted: address });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  private missing(address: Address): ArtifactNotFoundError {
    return new ArtifactNotFoundError(
      `artifact ${address} is not in the store at ${this.location} (no ${relative(this.root, this.objectPath(address))})`,
    );
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  private async writeTemp(data: Uint8Array | string): Promise<string> {
    const temp = await this.tempPath();
    await writeSynced(temp, data);
    return temp;
  }

  /**
   * Moves a synced temp file into place. `keep`: link, keeping an existing target (objects: same
   * name means same content) unless its size differs from the temp file's (damaged: replaced).
   * `replace`: rename over the target.
   */
  private async place(temp: string, target: string, how: 'keep' | 'replace' = 'keep'): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    try {
      if (how === 'replace') {
        await rename(temp, target);
      } else {
        try {
          await link(temp, target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          if ((await sizeOf(target)) !== (await sizeOf(temp))) await rename(temp, target);
        }
      }
      await fsyncDir(dirname(target));
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

/** A file's size in bytes, or undefined when there is none. */
async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename or link in `dir` durable. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
