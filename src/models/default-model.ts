import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../util/errors.ts';

/** The default model: SmolLM2-135M-Instruct, Q4_1 GGUF, as installed by scripts/setup-model.sh. */
export const DEFAULT_MODEL_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';
export const SETUP_MODEL_COMMAND = 'bash scripts/setup-model.sh';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the default model lives: `ANCHORAGE_MODEL` when set (relative paths resolve against the
 * working directory), else `.cache/models/` in the repository.
 */
export function defaultModelPath(options: { env?: Record<string, string | undefined> } = {}): string {
  const override = (options.env ?? process.env)['ANCHORAGE_MODEL'];
  if (override !== undefined && override !== '') return isAbsolute(override) ? override : resolve(override);
  return resolve(REPO_ROOT, '.cache', 'models', DEFAULT_MODEL_FILE);
}

/** The default model path, or an error that says how to install it. */
export function requireDefaultModel(options: { env?: Record<string, string | undefined> } = {}): string {
  const path = defaultModelPath(options);
  if (!existsSync(path)) {
    const fromEnv = (options.env ?? process.env)['ANCHORAGE_MODEL'];
    const hint =
      fromEnv !== undefined && fromEnv !== ''
        ? 'ANCHORAGE_MODEL names a file that does not exist'
        : `run \`${SETUP_MODEL_COMMAND}\` to download it (or set ANCHORAGE_MODEL to a GGUF file)`;
    throw new ValidationError(`model file not found: ${hint}`, { location: { file: path } });
  }
  return path;
}

/** A `--model` value: absent or 'default' means the default model (checked to exist), else the path. */
export function modelArgument(
  value: string | undefined,
  options: { env?: Record<string, string | undefined> } = {},
): string {
  return value === undefined || value === 'default' ? requireDefaultModel(options) : value;
}
