import { z } from 'zod';
import { ValidationError } from '../util/errors.ts';

/** The region an S3 client signs for when neither the configuration nor `AWS_REGION` names one. */
export const DEFAULT_S3_REGION = 'us-east-1';

export const S3BucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'an S3 bucket name: 3-63 lower-case letters, digits, . and -, starting and ending with a letter or digit',
  );

/**
 * The key prefix the store keeps its `objects/` and `refs/` under: empty (the bucket's root) or
 * slash-separated segments of letters, digits, `.`, `_`, `-`. Slashes at either end are dropped.
 */
export const S3KeyPrefix = z
  .string()
  .transform((p) => p.replace(/^\/+|\/+$/g, ''))
  .pipe(
    z
      .string()
      .regex(
        /^(?:[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*)?$/,
        'a key prefix: slash-separated segments of letters, digits, . _ - (or empty)',
      ),
  );

/** An S3-compatible server's URL (MinIO, Ceph RGW, moto); never with credentials in it. */
export const S3Endpoint = z
  .url({ protocol: /^https?$/, error: 'an http(s) URL of an S3-compatible server' })
  .refine((u) => {
    const url = new URL(u);
    return url.username === '' && url.password === '';
  }, 'an endpoint URL without credentials in it (they come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)');

/** A store in a local folder. */
export interface LocalStoreLocation {
  type: 'local';
  path: string;
}

/**
 * A store in an S3-compatible bucket. No credentials: the AWS SDK finds them the standard way
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else a profile or an instance role),
 * so they never reach a configuration, a log line, a workflow history or the store.
 */
export interface S3StoreLocation {
  type: 's3';
  bucket: string;
  /** '' or `a/b` (no slash at either end). */
  prefix: string;
  /** Unset: AWS S3 itself. Set: that server, addressed path-style (`<endpoint>/<bucket>/<key>`). */
  endpoint?: string;
  region: string;
  /** This process's read-through cache of objects (a local folder; content-addressed, so safe to share). */
  cacheDir: string;
}

/** Where a store lives, as a run configuration or the environment gives it (paths resolved). */
export type StoreLocation = LocalStoreLocation | S3StoreLocation;

/** `s3://bucket/prefix` for messages and logs (never with credentials: the location holds none). */
export function describeS3Location(
  location: Pick<S3StoreLocation, 'bucket' | 'prefix' | 'endpoint'>,
): string {
  const url = `s3://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}`;
  return location.endpoint === undefined ? url : `${url} at ${location.endpoint}`;
}

/** Splits `s3://<bucket>/<prefix>` (the prefix may be empty); `name` says where the value came from. */
export function parseS3Url(options: { url: string; name: string }): { bucket: string; prefix: string } {
  const { url, name } = options;
  const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(url);
  const expected = `${name}: expected s3://<bucket>/<prefix>`;
  if (match === null) throw new ValidationError(`${expected}, got '${url}'`);
  const bucket = S3BucketName.safeParse(match[1]);
  if (!bucket.success)
    throw new ValidationError(`${expected} with ${bucket.error.issues[0]!.message}, got '${url}'`);
  const prefix = S3KeyPrefix.safeParse(match[2]);
  if (!prefix.success)
    throw new ValidationError(`${expected} with ${prefix.error.issues[0]!.message}, got '${url}'`);
  return { bucket: bucket.data, prefix: prefix.data };
}
