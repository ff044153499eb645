import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * TEST UTILITY, never imported by production code. An in-process HTTP server on 127.0.0.1 (port 0)
 * that speaks the OpenAI chat-completions protocol, for testing judges over real HTTP. It answers
 * from a script of replies (completions in the shape vLLM and OpenAI send, HTTP errors, stalls),
 * records every request it received, and tracks how many were in flight at once.
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: unknown;
  /** The chat messages of the body, or [] when it has none. */
  messages: { role: string; content: string }[];
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type ScriptedReply =
  /** A chat completion whose assistant message is `content`. */
  | {
      type: 'completion';
      content: string | null;
      finishReason?: string;
      /** Token counts; omitted -> a plausible count; null -> no usage block (some servers send none). */
      usage?: Usage | null;
      /** Wait this long before answering (to keep requests in flight together). */
      delayMs?: number;
    }
  /** An HTTP error status with an optional body and headers (e.g. Retry-After). */
  | { type: 'error'; status: number; body?: string; headers?: Record<string, string> }
  /** Any status and body verbatim (e.g. a proxy's HTML page with 200). */
  | { type: 'raw'; status: number; body: string; headers?: Record<string, string> }
  /** Never answers: the client must time out and abort. */
  | { type: 'hang' };

export type ReplyHandler = (
  request: RecordedRequest,
  index: number,
) => ScriptedReply | Promise<ScriptedReply>;

export interface ChatServerOptions {
  /** Replies served in order, one per request. */
  replies?: ScriptedReply[];
  /** Answers once `replies` is used up; without it an extra request gets a 500 saying so. */
  handler?: ReplyHandler;
  /** When set, a request without `Authorization: Bearer <apiKey>` gets 401. */
  apiKey?: string;
  /** Model name echoed in completions. */
  model?: string;
}

export interface ChatServer {
  /** Base URL to configure a client with: `http://127.0.0.1:<port>/v1`. */
  baseUrl: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Requests being answered now. */
  readonly inFlight: number;
  /** Most requests in flight at once so far. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

/** A chat-completions body as vLLM (and, field for field, OpenAI) returns it. */
export function completionBody(options: {
  content: string | null;
  model: string;
  finishReason?: string;
  usage?: Usage | null;
  index?: number;
}): Record<string, unknown> {
  const { content, model, finishReason = 'stop', index = 0 } = options;
  const completionTokens = Math.max(1, Math.ceil((content ?? '').length / 4));
  const usage =
    options.usage === undefined
      ? { prompt_tokens: 120, completion_tokens: completionTokens, total_tokens: 120 + completionTokens }
      : options.usage;
  return {
    id: `chatcmpl-${(index + 1).toString(16).padStart(8, '0')}`,
    object: 'chat.completion',
    created: 1_764_000_000 + index,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, reasoning_content: null, tool_calls: [] },
        logprobs: null,
        finish_reason: finishReason,
        stop_reason: null,
      },
    ],
    ...(usage === null ? {} : { usage: { ...usage, prompt_tokens_details: null } }),
    prompt_logprobs: null,
  };
}

/** Starts the server; call `close()` when done. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const script = [...(options.replies ?? [])];
  const model = options.model ?? 'test-judge';
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const raw = (body as { messages?: unknown } | undefined)?.messages;
      const messages = Array.isArray(raw) ? (raw as RecordedRequest['messages']) : [];
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawBody,
        body,
        messages,
      };
      const index = requests.length;
      requests.push(recorded);
      void answer(recorded, index).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `test server handler failed: ${String(error)}` } }));
      });
    });

    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };

    async function answer(recorded: RecordedRequest, index: number): Promise<void> {
      if (req.method !== 'POST' || recorded.url !== '/v1/chat/completions') {
        return send(404, JSON.stringify({ error: { message: `no route ${req.method} ${recorded.url}` } }));
      }
      if (options.apiKey !== undefined && recorded.headers.authorization !== `Bearer ${options.apiKey}`) {
        return send(
          401,
          JSON.stringify({ error: { message: 'invalid api key', type: 'invalid_request_error' } }),
        );
      }
      const unscripted: ScriptedReply = {
        type: 'error',
        status: 500,
        body: '{"error":{"message":"test server: no reply scripted"}}',
      };
      const reply = script.shift() ?? (await options.handler?.(recorded, index)) ?? unscripted;
      switch (reply.type) {
        case 'hang':
          return; // the client's abort closes the socket
        case 'error':
          return send(
            reply.status,
            reply.body ?? JSON.stringify({ error: { message: `HTTP ${reply.status}` } }),
            reply.headers,
          );
        case 'raw':
          return send(reply.status, reply.body, reply.headers);
        case 'completion': {
          const text = JSON.stringify(
            completionBody({
              content: reply.content,
              model,
              index,
              ...(reply.finishReason === undefined ? {} : { finishReason: reply.finishReason }),
              ...(reply.usage === undefined ? {} : { usage: reply.usage }),
            }),
          );
          if (reply.delayMs === undefined) return send(200, text);
          const timer = setTimeout(() => {
            timers.delete(timer);
            send(200, text);
          }, reply.delayMs);
          timers.add(timer);
          return;
        }
      }
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A reply that is a JSON value (what a well-behaved judge sends). */
export function jsonReply(
  value: unknown,
  extra: Omit<Extract<ScriptedReply, { type: 'completion' }>, 'type' | 'content'> = {},
): ScriptedReply {
  return { type: 'completion', content: JSON.stringify(value), ...extra };
}
