import { isAbsolute, join, resolve } from 'node:path';
import {
  DEFAULT_S3_REGION,
  parseS3Url,
  S3Endpoint,
  type S3StoreLocation,
  type StoreLocation,
} from '../store/store-location.ts';
import { ValidationError } from '../util/errors.ts';
import { dataDir, defaultStoreDir, STORE_DIR_ENV } from './data-dir.ts';

/** `s3://<bucket>/<prefix>`: the artifact store is that bucket. Unset: a local folder (STORE_DIR_ENV). */
export const STORE_URL_ENV = 'ANCHORAGE_STORE_URL';
/** The S3 store's local read-through cache of objects (default `<data dir>/store-cache`). */
export const STORE_CACHE_ENV = 'ANCHORAGE_STORE_CACHE';
/** The standard AWS variables naming an S3-compatible server, the S3-specific one first. */
export const AWS_ENDPOINT_ENV = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'] as const;
/** The standard AWS variables naming the region (default DEFAULT_S3_REGION). */
export const AWS_REGION_ENV = ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const;

const CACHE_FOLDER = 'store-cache';

type EnvOptions = { env?: NodeJS.ProcessEnv; cwd?: string };

/**
 * The store the environment names, for workers and for runs whose configuration names none:
 * `ANCHORAGE_STORE_URL=s3://bucket/prefix` (server from `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`,
 * region from `AWS_REGION`, cache folder from `ANCHORAGE_STORE_CACHE`), else the local folder
 * `ANCHORAGE_STORE_DIR` (default `<data dir>/store`). Setting both is an error: one must be meant.
 * Credentials are never read here: the AWS SDK reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
 */
export function storeLocationFromEnv(options: EnvOptions = {}): StoreLocation {
  const env = options.env ?? process.env;
  const url = env[STORE_URL_ENV];
  if (url === undefined || url === '') return { type: 'local', path: defaultStoreDir(options) };
  const dir = env[STORE_DIR_ENV];
  if (dir !== undefined && dir !== '') {
    throw new ValidationError(
      `both ${STORE_URL_ENV} (${url}) and ${STORE_DIR_ENV} (${dir}) are set; expected one: ` +
        `${STORE_URL_ENV} for an S3 bucket, ${STORE_DIR_ENV} for a local folder`,
    );
  }
  return s3Location({ ...parseS3Url({ url, name: STORE_URL_ENV }), ...options });
}

/**
 * An S3 store's location: what the caller gives (a run configuration's `store`), the rest from
 * the environment as `storeLocationFromEnv` reads it.
 */
export function s3Location(
  options: EnvOptions & {
    bucket: string;
    prefix: string;
    endpoint?: string | undefined;
    region?: string | undefined;
    cacheDir?: string | undefined;
  },
): S3StoreLocation {
  const env = options.env ?? process.env;
  const endpoint = options.endpoint ?? envEndpoint(env);
  return {
    type: 's3',
    bucket: options.bucket,
    prefix: options.prefix,
    ...(endpoint === undefined ? {} : { endpoint }),
    region: options.region ?? firstSet(env, AWS_REGION_ENV)?.value ?? DEFAULT_S3_REGION,
    cacheDir: options.cacheDir ?? defaultStoreCacheDir(options),
  };
}

/** `ANCHORAGE_STORE_CACHE` (relative: to the working directory), else `<data dir>/store-cache`. */
export function defaultStoreCacheDir(options: EnvOptions = {}): string {
  const env = options.env ?? process.env;
  const value = env[STORE_CACHE_ENV];
  if (value === undefined || value === '') return join(dataDir(options), CACHE_FOLDER);
  return isAbsolute(value) ? value : resolve(options.cwd ?? process.cwd(), value);
}

/**
 * The store a command's `--store` flag names: `s3://bucket/prefix` (the rest as in the
 * environment) or a local folder; without the flag, the environment's (`storeLocationFromEnv`).
 */
export function storeLocationFor(options: EnvOptions & { flag?: string | undefined }): StoreLocation {
  const { flag } = options;
  if (flag === undefined || flag === '') return storeLocationFromEnv(options);
  if (flag.startsWith('s3://'))
    return s3Location({ ...parseS3Url({ url: flag, name: '--store' }), ...options });
  return { type: 'local', path: resolve(options.cwd ?? process.cwd(), flag) };
}

function envEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const set = firstSet(env, AWS_ENDPOINT_ENV);
  if (set === undefined) return undefined;
  const parsed = S3Endpoint.safeParse(set.value);
  if (!parsed.success) {
    throw new ValidationError(
      `environment variable ${set.name}: expected ${parsed.error.issues[0]!.message}, got '${set.value.replace(/\/\/[^@/]*@/, '//[redacted]@')}'`,
    );
  }
  return parsed.data;
}

function firstSet(
  env: NodeJS.ProcessEnv,
  names: readonly string[],
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}
