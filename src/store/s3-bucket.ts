import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { AnchorageError, TransportError, ValidationError } from '../util/errors.ts';
import { registerSecret } from '../util/secrets.ts';

type Sdk = typeof import('@aws-sdk/client-s3');

/** A conditional PutObject: `If-None-Match: *` (the key must not exist) or `If-Match: <etag>`. */
export type PutCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export interface PutRequest {
  key: string;
  /** Bytes, or a function giving a fresh stream of them (called once per attempt). */
  body: Uint8Array | (() => Readable);
  size: number;
  /** Hex SHA-256 of the body: the server checks the bytes it receives against it. */
  sha256?: string;
  condition?: PutCondition;
}

/** The standard AWS variables holding secrets (the key id is not one). */
const SECRET_ENV = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/**
 * A server that does not accept a connection within CONNECT_TIMEOUT_MS, or leaves a socket idle for
 * IDLE_TIMEOUT_MS mid-request, fails the request (retried by the SDK, then a TransportError) instead
 * of holding an activity forever. An upload that keeps sending is never cut, however long it takes.
 */
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 120_000;

/** Attempts of a conditional write that the server answered 409 (another conditional write in flight). */
const CONFLICT_ATTEMPTS = 6;

/**
 * The requests the S3 store makes, on one bucket, with the AWS SDK's S3 client: answers come back
 * as values (`undefined` for a missing key, `'precondition-failed'` for a refused conditional
 * write) and failures as project errors that name the request and the key. The SDK is loaded on
 * first use, so commands that never open an S3 store do not pay for it.
 */
export class S3Bucket {
  readonly bucket: string;
  private readonly endpoint: string | undefined;
  private readonly region: string;
  private readonly pageSize: number | undefined;
  private sdk: Promise<{ sdk: Sdk; client: S3Client }> | undefined;

  /** `pageSize`: keys per ListObjectsV2 page (default: the server's, 1000 on AWS). */
  constructor(options: { bucket: string; endpoint?: string | undefined; region: string; pageSize?: number }) {
    this.bucket = options.bucket;
    this.endpoint = options.endpoint;
    this.region = options.region;
    this.pageSize = options.pageSize;
    // The SDK reads the credentials itself; their secret parts are cut from any text leaving the
    // process (log lines, CLI errors), whatever path carried them there.
    for (const name of SECRET_ENV) registerSecret(process.env[name]);
  }

  /** `s3://bucket/key`, with the server when it is not AWS. */
  describe(key: string): string {
    return `s3://${this.bucket}/${key}${this.endpoint === undefined ? '' : ` at ${this.endpoint}`}`;
  }

  async get(key: string): Promise<{ bytes: Uint8Array; etag: string } | undefined> {
    const { sdk, client } = await this.open();
    return this.request('GetObject', key, async () => {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { bytes: await out.Body!.transformToByteArray(), etag: out.ETag ?? '' };
    });
  }

  /** The object's bytes as a stream, for objects too large to hold in memory. */
  async getStream(key: string): Promise<Readable | undefined> {
    const { sdk, client } = await this.open();
    return this.request('GetObject', key, async () => {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body as Readable;
    });
  }

  async head(key: string): Promise<{ size: number; etag: string } | undefined> {
    const { sdk, client } = await this.open();
    return this.request('HeadObject', key, async () => {
      const out = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0, etag: out.ETag ?? '' };
    });
  }

  /** Writes an object; a refused condition (HTTP 412) is `'precondition-failed'`, not an error. */
  async put(request: PutRequest): Promise<{ etag: string } | 'precondition-failed'> {
    const { sdk, client } = await this.open();
    const { key, body, size, sha256, condition } = request;
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: typeof body === 'function' ? body() : body,
            ContentLength: size,
            ...(sha256 === undefined
              ? {}
              : { ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64') }),
            ...(condition === undefined
              ? {}
              : 'ifNoneMatch' in condition
                ? { IfNoneMatch: condition.ifNoneMatch }
                : { IfMatch: condition.ifMatch }),
          }),
        );
        return { etag: out.ETag ?? '' };
      } catch (err) {
        const status = statusOf(err);
        if (status === 412) return 'precondition-failed';
        // AWS answers 409 ConditionalRequestConflict while another conditional write of the key is
        // in flight; the write is to be tried again.
        if (status === 409 && condition !== undefined && attempt < CONFLICT_ATTEMPTS) {
          await sleep(25 * 2 ** attempt * (0.5 + Math.random()));
          continue;
        }
        // A missing key under If-Match: nothing to match, as S3 reports with 404.
        if (status === 404 && condition !== undefined && !isMissingBucket(err)) return 'precondition-failed';
        throw this.failure('PutObject', key, err);
      }
    }
  }

  /** Every key under `prefix`, page by page (ListObjectsV2 with continuation tokens). */
  async *list(prefix: string): AsyncGenerator<string> {
    const { sdk, client } = await this.open();
    let token: string | undefined;
    do {
      let page: import('@aws-sdk/client-s3').ListObjectsV2CommandOutput;
      try {
        page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(this.pageSize === undefined ? {} : { MaxKeys: this.pageSize }),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
      } catch (err) {
        throw this.failure('ListObjectsV2', prefix, err);
      }
      for (const item of page.Contents ?? []) if (item.Key !== undefined) yield item.Key;
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    const { sdk, client } = await this.open();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      throw this.failure('DeleteObject', key, err);
    }
  }

  private open(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.sdk ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.region,
        // MinIO, Ceph and moto are addressed path-style: no DNS name per bucket is needed.
        ...(this.endpoint === undefined ? {} : { endpoint: this.endpoint, forcePathStyle: true }),
        // Objects carry their own SHA-256 (PutRequest.sha256) and are verified on read; the SDK's
        // default CRC trailers are left out, which older S3-compatible servers refuse.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
      }),
    }));
    return this.sdk;
  }

  /** Runs a read; a missing key is `undefined`. */
  private async request<T>(op: string, key: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      if (statusOf(err) === 404 && !isMissingBucket(err)) return undefined;
      throw this.failure(op, key, err);
    }
  }

  private failure(op: string, key: string, err: unknown): AnchorageError {
    const where = this.describe(key);
    const status = statusOf(err);
    const detail = `${(err as Error).name ?? 'Error'}: ${(err as Error).message}`;
    if (isMissingBucket(err)) {
      return new ValidationError(`S3 ${op} ${where}: the bucket ${this.bucket} does not exist (${detail})`, {
        cause: err,
      });
    }
    if (status === 403 || status === 401) {
      return new AnchorageError(
        `S3 ${op} ${where}: access denied (${detail}); credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile or an instance role)`,
        { cause: err },
      );
    }
    return new TransportError(`S3 ${op} ${where}: ${detail}`, {
      cause: err,
      retryable: status === undefined || status >= 500 || status === 429 || status === 409,
    });
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isMissingBucket(err: unknown): boolean {
  return (err as Error).name === 'NoSuchBucket';
}
