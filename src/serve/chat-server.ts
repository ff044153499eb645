import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../util/logger.ts';
import { Admission } from './admission.ts';
import { ApiError, toApiError } from './api-error.ts';
import { answerChatCompletion, type Usage } from './chat-completion.ts';
import { parseChatRequest } from './chat-request.ts';
import { readJsonBody } from './json-body.ts';
import type { ChatModel } from './served-model.ts';

const log = logger('serve');

/** What one server takes at once, and what it assumes when a request does not say. */
export interface ServeLimits {
  /** Largest request body; a bigger one is answered 413. */
  maxBodyBytes: number;
  /** Requests decoding together (the engine's batch rows). */
  slots: number;
  /** Requests waiting for a slot at most; beyond them, 429. */
  queue: number;
  /** Seconds a 429 tells the client to wait. */
  retryAfterSeconds: number;
  /** max_tokens when a request gives none (capped by the context left after its prompt). */
  defaultMaxTokens: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxBodyBytes: 1024 * 1024,
  slots: 32,
  queue: 64,
  retryAfterSeconds: 1,
  defaultMaxTokens: 512,
};

/**
 * An OpenAI-compatible HTTP server for one model: `GET /v1/models`, `GET /v1/models/{id}`,
 * `POST /v1/chat/completions` (streamed or not), `GET /health`. Every failure is answered with an
 * OpenAI-style error body and its status; none ends the process. `shutdown` stops taking requests,
 * lets the running ones finish within a grace period, then closes the model.
 */
export class ChatServer {
  private readonly server: Server;
  private readonly admission: Admission;
  private readonly handlers = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly model: ChatModel,
    private readonly limits: ServeLimits = DEFAULT_LIMITS,
  ) {
    this.admission = new Admission(limits);
    this.server = createServer((req, res) => {
      const handled = this.handle(req, res);
      this.handlers.add(handled);
      void handled.finally(() => this.handlers.delete(handled));
    });
  }

  /** Requests admitted and not yet answered. */
  get inFlight(): number {
    return this.admission.inFlight;
  }

  /** Resolves once every request received so far has been answered (or has failed). */
  async settled(): Promise<void> {
    while (this.handlers.size > 0) await Promise.allSettled([...this.handlers]);
  }

  /** Starts listening; resolves with the base URL (`http://host:port`). */
  async listen(options: { port: number; host: string }): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(options.port, options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /**
   * Stops taking requests (new ones get 503), waits up to `graceMs` for those running, stops the
   * rest (their clients get an error), closes the model and the connections. Safe to call twice.
   */
  shutdown(options: { graceMs: number }): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      await this.model.close({ graceMs: options.graceMs });
      await Promise.allSettled([...this.handlers]);
      this.server.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    let usage: Usage | undefined;
    try {
      if (this.closing !== undefined) {
        res.setHeader('connection', 'close');
        throw new ApiError({ status: 503, message: 'the server is shutting down', code: 'shutting_down' });
      }
      usage = await this.route(req, res, path);
    } catch (err) {
      const apiError = toApiError(err);
      if (apiError.status >= 500) log.error({ err, path }, 'request failed');
      this.sendError(res, apiError);
    } finally {
      log.info(
        {
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          ...(usage === undefined
            ? {}
            : { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }),
        },
        'request',
      );
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, path: string): Promise<Usage | undefined> {
    const method = req.method ?? 'GET';
    if (path === '/health' && method === 'GET') return this.sendJson(res, { status: 'ok' });
    if (path === '/v1/models' && method === 'GET') {
      return this.sendJson(res, { object: 'list', data: [this.modelObject()] });
    }
    const named = /^\/v1\/models\/(.+)$/.exec(path);
    if (named !== null && method === 'GET') {
      this.checkModel(decodeURIComponent(named[1] as string), 'model');
      return this.sendJson(res, this.modelObject());
    }
    if (path === '/v1/chat/completions' && method === 'POST') return this.chat(req, res);
    if (['/health', '/v1/models', '/v1/chat/completions'].includes(path) || named !== null) {
      throw new ApiError({
        status: 405,
        message: `${method} is not allowed on ${path}`,
        code: 'method_not_allowed',
      });
    }
    throw new ApiError({ status: 404, message: `no route ${method} ${path}`, code: 'not_found' });
  }

  private async chat(req: IncomingMessage, res: ServerResponse): Promise<Usage> {
    const request = parseChatRequest(await readJsonBody(req, { maxBytes: this.limits.maxBodyBytes }));
    this.checkModel(request.model, 'model');
    const release = this.admission.enter();
    // The client going away (before its answer is complete) drops its sequence from the batch.
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableFinished)
        gone.abort(new ApiError({ status: 499, message: 'the client closed the connection' }));
    };
    res.once('close', onClose);
    try {
      return await answerChatCompletion({
        request,
        model: this.model,
        defaultMaxTokens: this.limits.defaultMaxTokens,
        res,
        signal: gone.signal,
      });
    } finally {
      res.off('close', onClose);
      release();
    }
  }

  private checkModel(name: string, param: string): void {
    if (name !== this.model.id) {
      throw new ApiError({
        status: 404,
        code: 'model_not_found',
        param,
        message: `the model '${name}' does not exist here; this server serves '${this.model.id}'`,
      });
    }
  }

  private modelObject() {
    return { id: this.model.id, object: 'model', created: this.created, owned_by: 'anchorage' };
  }

  private sendJson(res: ServerResponse, body: unknown): undefined {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return undefined;
  }

  private sendError(res: ServerResponse, err: ApiError): void {
    if (res.headersSent) {
      // A streamed answer already failed its stream (see sse.ts); just make sure it ends.
      if (!res.writableEnded) res.end();
      return;
    }
    if (res.destroyed) return;
    const text = JSON.stringify(err.body);
    res.writeHead(err.status, {
      ...err.headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}
