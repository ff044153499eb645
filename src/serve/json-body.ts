import type { IncomingMessage } from 'node:http';
import { ApiError } from './api-error.ts';

/**
 * A request's body parsed as JSON: 413 when it is larger than `maxBytes` (judged by
 * Content-Length when given, else while reading, which stops there), 400 when it is not JSON.
 */
export async function readJsonBody(req: IncomingMessage, options: { maxBytes: number }): Promise<unknown> {
  const { maxBytes } = options;
  const tooLarge = () =>
    new ApiError({
      status: 413,
      code: 'request_too_large',
      message: `the request body is larger than ${maxBytes} bytes`,
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume(); // let the client finish sending, so it reads the answer
    throw tooLarge();
  }
  // Read with events: leaving an async iteration early would destroy the socket the answer needs.
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume(); // discard the rest
      reject(tooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiError({
      status: 400,
      code: 'invalid_json',
      message: `the request body is not valid JSON: ${(err as Error).message}`,
    });
  }
}
