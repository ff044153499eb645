import type { z } from 'zod';
import type { Address } from './address.ts';

/** What a put returns: the content address and the size in bytes. */
export interface StoredObject {
  address: Address;
  size: number;
}

/**
 * How a ref write treats a ref that already exists:
 * - `create-only`: the ref must not exist, or must already hold the same address (then the write
 *   is a no-op that reports `created: false`, so a retried step finds its own earlier commit);
 *   another address raises `RefConflictError`. Used for checkpoints and other step results.
 * - `compare-and-set`: the ref must hold `expected` (`undefined`: must not exist); else
 *   `RefConflictError`. Used for pointers that move (latest checkpoint, run manifest).
 * - `overwrite`: last writer wins.
 */
export type RefWriteMode =
  | { mode: 'create-only' }
  | { mode: 'compare-and-set'; expected: Address | undefined }
  | { mode: 'overwrite' };

export interface RefWriteResult {
  /** True when this call changed the ref; false when it already held the address. */
  created: boolean;
  previous: Address | undefined;
}

export interface RefEntry {
  name: string;
  address: Address;
}

/**
 * A content-addressed artifact store with named refs. Objects are immutable and addressed by the
 * SHA-256 of their bytes, so writing the same content twice (two retries, two workers) is harmless.
 * Refs name addresses (`runs/<trainRunId>/checkpoints/step-<n>`); their writes are atomic.
 *
 * Every method is asynchronous and takes names and addresses only, never local paths, so an
 * S3-compatible implementation fits: objects under `objects/<2 hex>/<62 hex>` keys, refs as small
 * objects written with conditional requests (`If-None-Match: *` for create-only, `If-Match: <etag>`
 * for compare-and-set).
 */
export interface ArtifactStore {
  /** Where the store lives, for messages (`/data/store`, `s3://bucket/prefix`). */
  readonly location: string;

  putBytes(bytes: Uint8Array): Promise<StoredObject>;
  /** Stores the canonical JSON of `value` (keys sorted), so equal values share one address. */
  putJson(value: unknown): Promise<StoredObject>;
  /** Stores a file's content, streaming (for checkpoints too large to hold twice in memory). */
  putFile(path: string): Promise<StoredObject>;

  /** The bytes at `address`, verified against it; `ArtifactNotFoundError` names a missing one. */
  getBytes(address: string): Promise<Uint8Array>;
  /** Parses the JSON at `address`, validated with `schema` when given. */
  getJson<S extends z.ZodType>(address: string, schema: S): Promise<z.output<S>>;
  getJson(address: string): Promise<unknown>;
  /** Copies the object at `address` to `path` (atomically: temp file, then rename). */
  getFile(address: string, path: string): Promise<void>;
  has(address: string): Promise<boolean>;

  setRef(name: string, address: Address, mode: RefWriteMode): Promise<RefWriteResult>;
  /** The address a ref names, or undefined. */
  getRef(name: string): Promise<Address | undefined>;
  /** Refs whose name starts with `prefix` (a whole segment path such as `runs/r1/`), sorted by name. */
  listRefs(prefix?: string): Promise<RefEntry[]>;
}
