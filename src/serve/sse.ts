import type { ServerResponse } from 'node:http';
import { toApiError } from './api-error.ts';

/**
 * A server-sent event stream as OpenAI streams answers: `data: <json>` events, then
 * `data: [DONE]`. A failure after the headers went out is sent as an event with an `error`
 * object (the status line is already written), then the stream ends.
 */
export function openEventStream(res: ServerResponse): {
  send: (data: unknown) => void;
  end: () => void;
  fail: (err: unknown) => void;
} {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  const write = (line: string) => {
    if (!res.writableEnded && !res.destroyed) res.write(`data: ${line}\n\n`);
  };
  return {
    send: (data) => write(JSON.stringify(data)),
    end: () => {
      write('[DONE]');
      res.end();
    },
    fail: (err) => {
      write(JSON.stringify(toApiError(err).body));
      res.end();
    },
  };
}
