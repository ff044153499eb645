import { isAbsolute, join, resolve } from 'node:path';

/**
 * The folder for run data (the Temporal server's SQLite file, its log, the local artifact store):
 * `ANCHORAGE_DATA_DIR` when set, else `run-data` in the working directory. Relative values resolve
 * against the working directory.
 */
export function dataDir(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const value = env.ANCHORAGE_DATA_DIR;
  if (value === undefined || value === '') return resolve(cwd, 'run-data');
  return isAbsolute(value) ? value : resolve(cwd, value);
}

/** The dev server's SQLite file under the data folder. */
export function defaultTemporalDbFile(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  return join(dataDir(options), 'temporal.sqlite');
}

/** The local artifact store's folder (src/config/store-env.ts: ANCHORAGE_STORE_URL names a bucket instead). */
export const STORE_DIR_ENV = 'ANCHORAGE_STORE_DIR';

/**
 * The local artifact store's folder when nothing names one: `ANCHORAGE_STORE_DIR` when set, else
 * `<data dir>/store`. Run configurations, workers and the CLI all default to it.
 */
export function defaultStoreDir(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const env = options.env ?? process.env;
  const value = env[STORE_DIR_ENV];
  if (value === undefined || value === '') return join(dataDir(options), 'store');
  return isAbsolute(value) ? value : resolve(options.cwd ?? process.cwd(), value);
}
