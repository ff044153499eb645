import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Lower-case hex sha256 of bytes: the content address of a checkpoint or any artifact. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Lower-case hex sha256 of a file, streamed (never holds the whole file). */
export async function sha256File(options: { path: string }): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(options.path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
