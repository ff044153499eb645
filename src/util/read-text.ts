import { readFileSync } from 'node:fs';
import { ValidationError } from './errors.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Byte offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1.
 * Follows the Unicode table of well-formed sequences: no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (c === undefined || c < min || c > max) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Decodes bytes as UTF-8, refusing invalid sequences instead of replacing them silently: the error
 * names the file, the line and the column (in bytes) of the first bad byte.
 */
export function decodeUtf8(options: { bytes: Uint8Array; file: string; what?: string }): string {
  const { bytes, file, what = 'file' } = options;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const hex = (bytes[at] ?? 0).toString(16).padStart(2, '0');
    throw new ValidationError(
      `expected UTF-8 text in this ${what}; byte 0x${hex} at offset ${at} is not valid UTF-8 (save the file as UTF-8)`,
      { location: { file, line, column: at - lineStart + 1 } },
    );
  }
}

/**
 * Reads a text file strictly: unreadable files and invalid UTF-8 are ValidationErrors naming the
 * file (and the line), never an exception of the file system or a silent U+FFFD. `what` names the
 * file's role in messages ("rubric file", "run configuration").
 */
export function readTextFile(file: string, what = 'file'): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'expected a file, found a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : (cause as Error).message;
    throw new ValidationError(`cannot read ${what}: ${reason}`, { location: { file }, cause });
  }
  return decodeUtf8({ bytes, file, what });
}
