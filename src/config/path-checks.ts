import { accessSync, closeSync, constants, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ErrorLocation, ValidationError } from '../util/errors.ts';

/**
 * Checks of the paths a run configuration names, made before a run starts so that a wrong path fails
 * at once with the configuration's file, line and field, not minutes later in a worker.
 */

const GGUF_MAGIC = 'GGUF';

/** The first bytes of a file, as Latin-1 text (enough to compare a magic number). */
function head(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/**
 * A model path is a GGUF file (its first four bytes are "GGUF", whatever its name) or a Hugging Face
 * folder with a config.json file and safetensors weights.
 */
export function checkModelPath(options: { path: string; location: ErrorLocation }): void {
  const { path, location } = options;
  const st = statSync(path);
  if (st.isDirectory()) {
    const config = statSync(join(path, 'config.json'), { throwIfNoEntry: false });
    if (config === undefined || !config.isFile()) {
      throw new ValidationError(
        `expected a GGUF file or a Hugging Face folder with config.json, got a folder without config.json: ${path}`,
        { location },
      );
    }
    if (!readdirSync(path).some((name) => name.endsWith('.safetensors'))) {
      throw new ValidationError(`expected safetensors weights (*.safetensors) in the model folder ${path}`, {
        location,
      });
    }
    return;
  }
  if (!st.isFile()) throw new ValidationError(`expected a model file or folder, got ${path}`, { location });
  const magic = head(path, 4);
  if (magic !== GGUF_MAGIC) {
    const seen = st.size === 0 ? 'an empty file' : `a file starting with ${JSON.stringify(magic)}`;
    throw new ValidationError(
      `expected a GGUF model (a file starting with "GGUF") or a Hugging Face folder, got ${seen}: ${path}`,
      { location },
    );
  }
}

/**
 * The store path is a folder this process can write, or does not exist yet and can be created: its
 * nearest existing ancestor is a writable folder.
 */
export function checkStorePath(options: { path: string; location: ErrorLocation }): void {
  const { path, location } = options;
  let at = path;
  for (;;) {
    const st = statOrUndefined(at);
    if (st !== undefined) {
      if (!st.isDirectory()) {
        const what = at === path ? 'the store path' : `${at}, on the store path,`;
        throw new ValidationError(`expected a folder for the store; ${what} is a file: ${path}`, {
          location,
        });
      }
      try {
        accessSync(at, constants.W_OK);
      } catch {
        throw new ValidationError(`expected a writable folder for the store; ${at} is not writable`, {
          location,
        });
      }
      return;
    }
    const parent = dirname(at);
    if (parent === at) return;
    at = parent;
  }
}

/** stat, or undefined where nothing is (a missing entry, or a file where a folder should be). */
function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
