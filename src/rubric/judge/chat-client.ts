import type { Logger } from 'pino';
import { z } from 'zod';
import { AnchorageError, TransportError } from '../../util/errors.ts';
import { redactorFor } from '../../util/secrets.ts';
import { backoffDelay, parseRetryAfter } from './backoff.ts';
import type { JudgeConfig } from './config.ts';
import { BUDGET_EXHAUSTED_REASON, TOKEN_BUDGET_EXHAUSTED_REASON } from './reasons.ts';
import { paceRequest } from './pacing.ts';
import { Semaphore } from './semaphore.ts';
import type { JudgeStats } from './types.ts';
import type { VerdictSchema } from './verdict-schema.ts';

/**
 * A client for OpenAI-compatible `POST {baseUrl}/chat/completions` using Node's global fetch.
 * Transport errors (network, timeout, 408, 429, 5xx, a 200 whose body is not a chat completion) are
 * retried with exponential backoff and jitter, honouring Retry-After; other 4xx are not. The key
 * lives only in a private field and in the Authorization header, and is cut out of any server text:
 * quoted in an error, or in a reply's content (a judge that echoes the key cannot put it in a verdict,
 * a log line or the cache). Reply bodies are read up to `maxReplyBytes`. Redirects are followed only
 * within the base URL's origin (the key must not travel elsewhere); another origin is refused.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatReply {
  content: string;
  finishReason: string | undefined;
}

/**
 * The client's request or token budget is spent: the judge turns this into an unscorable verdict
 * whose reason is `reason` (never cached: a larger budget may still grade it).
 */
export class RequestBudgetExhausted extends AnchorageError {
  readonly reason: string;
  constructor(options: { limit: 'requests' | 'tokens'; budget: number }) {
    const reason = options.limit === 'requests' ? BUDGET_EXHAUSTED_REASON : TOKEN_BUDGET_EXHAUSTED_REASON;
    super(`${reason} (${options.budget} ${options.limit})`);
    this.reason = reason;
  }
}

/**
 * The server refused the request because the prompt and response do not fit its context window
 * (HTTP 400 or 413 saying so, as vLLM, llama.cpp server, Ollama and OpenAI do). Sending it again
 * cannot help: the judge turns this into an unscorable verdict instead of failing the step.
 */
export class PromptTooLong extends AnchorageError {}

/** The reply body was larger than `maxReplyBytes`: its criteria are unscorable and nothing is cached. */
export class ReplyTooLarge extends AnchorageError {}

/** Redirect hops followed within the judge's origin before giving up. */
const MAX_REDIRECTS = 3;

/** What servers say when a request exceeds the model's context. */
const CONTEXT_OVERFLOW =
  /context[_ ]length|maximum context|context (?:window|size)|exceed_context|too many tokens|prompt is too long|input is too long|exceeds? the (?:model's )?(?:maximum |available )?(?:context|input)|reduce the length/i;

/** True when an HTTP error reply says the request does not fit the model's context. */
export function isContextOverflow(status: number, body: string): boolean {
  return (status === 400 || status === 413) && CONTEXT_OVERFLOW.test(body);
}

export interface ChatClientDeps {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for jitter. */
  random: () => number;
  now: () => number;
  log: Logger;
}

const Completion = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: z.number().nonnegative(),
      completion_tokens: z.number().nonnegative(),
      total_tokens: z.number().nonnegative().optional(),
    })
    .nullable()
    .optional(),
});

type Attempt =
  | { ok: true; reply: ChatReply }
  | {
      ok: false;
      retryable: boolean;
      problem: string;
      retryAfterMs?: number | undefined;
      tooLong?: boolean;
      tooLarge?: boolean;
    };

export class ChatClient {
  readonly #config: JudgeConfig;
  readonly #apiKey: string | undefined;
  readonly #deps: ChatClientDeps;
  readonly #stats: JudgeStats;
  readonly #slots: Semaphore;
  readonly #url: string;
  readonly #redact: (text: string) => string;
  #used = 0;
  /** The earliest moment the next request may be sent under `maxRequestsPerSecond`. */
  #nextFreeMs = 0;

  constructor(options: {
    config: JudgeConfig;
    apiKey: string | undefined;
    deps: ChatClientDeps;
    stats: JudgeStats;
  }) {
    this.#config = options.config;
    this.#apiKey = options.apiKey === '' ? undefined : options.apiKey;
    this.#deps = options.deps;
    this.#stats = options.stats;
    this.#slots = new Semaphore(options.config.concurrency);
    this.#url = `${options.config.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.#redact = redactorFor([this.#apiKey]);
  }

  /** Requests made so far (each attempt counts). */
  get requestsUsed(): number {
    return this.#used;
  }

  /**
   * Sends one chat completion, retrying transport errors. Throws `TransportError` when the retries
   * run out (retryable) or the server refuses the request (4xx other than 408/429: not retryable),
   * `PromptTooLong` when the request does not fit the model's context, and `RequestBudgetExhausted`
   * when no request (or token) is left. With `maxRequestsPerSecond`, each attempt waits for its
   * moment (`pacing.ts`) while holding its concurrency slot.
   */
  async complete(options: {
    messages: ChatMessage[];
    purpose: string;
    /** The reply's schema, sent when `responseFormat` is `json_schema` or `json_object_schema`. */
    schema: VerdictSchema;
  }): Promise<ChatReply> {
    const config = this.#config;
    const format = responseFormat({ config, schema: options.schema });
    const body = JSON.stringify({
      model: config.model,
      messages: options.messages,
      temperature: config.temperature,
      ...(config.maxTokens === undefined ? {} : { max_tokens: config.maxTokens }),
      ...(format === undefined ? {} : { response_format: format }),
      stream: false,
    });
    const log = this.#deps.log;
    for (let attempt = 0; ; attempt++) {
      const result = await this.#slots.run(async () => {
        this.#takeFromBudget();
        await this.#pace();
        return this.#once(body);
      });
      if (result.ok) {
        log.debug({ purpose: options.purpose, attempt }, 'judge request answered');
        return result.reply;
      }
      const where = `judge request to ${this.#url} (model ${config.model}, ${options.purpose})`;
      if (result.tooLong === true) {
        throw new PromptTooLong(`${where} does not fit the model's context: ${result.problem}`);
      }
      if (result.tooLarge === true) throw new ReplyTooLarge(`${where}: ${result.problem}`);
      if (!result.retryable) {
        throw new TransportError(`${where} was refused: ${result.problem}`, { retryable: false });
      }
      if (attempt >= config.maxRetries) {
        throw new TransportError(`${where} failed after ${attempt + 1} attempts: ${result.problem}`);
      }
      const { backoff } = config;
      if (result.retryAfterMs !== undefined && result.retryAfterMs > backoff.maxRetryAfterMs) {
        throw new TransportError(
          `${where}: ${result.problem}; the server asks to wait ${result.retryAfterMs} ms, more than backoff.maxRetryAfterMs (${backoff.maxRetryAfterMs})`,
        );
      }
      const delayMs =
        result.retryAfterMs ?? backoffDelay({ retry: attempt, ...backoff, random: this.#deps.random() });
      log.warn(
        { purpose: options.purpose, attempt, problem: result.problem, delayMs },
        'judge request failed; retrying',
      );
      this.#stats.retries++;
      await this.#deps.sleep(delayMs);
    }
  }

  /** Counts one request against the budgets, or refuses it when one is spent. */
  #takeFromBudget(): void {
    const config = this.#config;
    const refuse = (limit: 'requests' | 'tokens', budget: number) => {
      this.#stats.budgetRefusals++;
      return new RequestBudgetExhausted({ limit, budget });
    };
    if (this.#used >= config.requestBudget) throw refuse('requests', config.requestBudget);
    const tokens = this.#stats.promptTokens + this.#stats.completionTokens;
    if (config.tokenBudget !== undefined && tokens >= config.tokenBudget) {
      throw refuse('tokens', config.tokenBudget);
    }
    this.#used++;
    this.#stats.requests++;
  }

  /** Waits for this request's moment under `maxRequestsPerSecond` (none without a limit). */
  async #pace(): Promise<void> {
    const rate = this.#config.maxRequestsPerSecond;
    if (rate === undefined) return;
    const paced = paceRequest({
      nowMs: this.#deps.now(),
      nextFreeMs: this.#nextFreeMs,
      requestsPerSecond: rate,
    });
    this.#nextFreeMs = paced.nextFreeMs;
    if (paced.waitMs > 0) await this.#deps.sleep(paced.waitMs);
  }

  async #once(body: string): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#config.timeoutMs);
    try {
      let url = this.#url;
      let res: Response;
      for (let hop = 0; ; hop++) {
        res = await this.#deps.fetch(url, {
          method: 'POST',
          headers: this.#headers(),
          body,
          signal: controller.signal,
          redirect: 'manual',
        });
        if (res.status < 300 || res.status >= 400 || res.status === 304) break;
        await res.body?.cancel();
        const next = redirectTarget({ from: url, location: res.headers.get('location') });
        if (next === undefined || new URL(next).origin !== new URL(this.#url).origin) {
          return {
            ok: false,
            retryable: false,
            problem: `HTTP ${res.status} redirect to ${next === undefined ? 'no valid location' : new URL(next).origin} refused: redirects are followed only within ${new URL(this.#url).origin}`,
          };
        }
        if (hop >= MAX_REDIRECTS) {
          return { ok: false, retryable: false, problem: `more than ${MAX_REDIRECTS} redirects` };
        }
        url = next;
      }
      // Reading the body stays under the same timeout: a server may stall mid-reply.
      const read = await readBounded(res, this.#config.maxReplyBytes);
      if (read.tooLarge) {
        return {
          ok: false,
          retryable: false,
          tooLarge: true,
          problem: `the reply is larger than maxReplyBytes (${this.#config.maxReplyBytes} bytes); it was not read further`,
        };
      }
      const text = read.text;
      if (!res.ok) {
        const problem = `HTTP ${res.status}${this.#snippet(text)}`;
        const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
        return {
          ok: false,
          retryable,
          problem,
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.#deps.now()),
          tooLong: isContextOverflow(res.status, text),
        };
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return {
          ok: false,
          retryable: true,
          problem: `HTTP ${res.status} with a body that is not JSON${this.#snippet(text)}`,
        };
      }
      const parsed = Completion.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return {
          ok: false,
          retryable: true,
          problem: `reply is not a chat completion (at ${issue.path.join('.') || 'top level'}: ${issue.message})`,
        };
      }
      const usage = parsed.data.usage;
      if (usage !== undefined && usage !== null) {
        this.#stats.repliesWithUsage++;
        this.#stats.promptTokens += usage.prompt_tokens;
        this.#stats.completionTokens += usage.completion_tokens;
      }
      const choice = parsed.data.choices[0]!;
      return {
        ok: true,
        reply: {
          content: this.#redact(choice.message.content ?? ''),
          finishReason: choice.finish_reason ?? undefined,
        },
      };
    } catch (cause) {
      if (controller.signal.aborted) {
        return { ok: false, retryable: true, problem: `timed out after ${this.#config.timeoutMs} ms` };
      }
      return {
        ok: false,
        retryable: true,
        problem: `network error: ${this.#redact(describeFetchError(cause))}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = {
      ...this.#config.extraHeaders,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    return headers;
  }

  /** A short, key-free quote of a server's error body for the error message. */
  #snippet(text: string): string {
    const flat = this.#redact(text).replace(/\s+/g, ' ').trim();
    if (flat === '') return '';
    return `: ${flat.length > 300 ? `${flat.slice(0, 300)}...` : flat}`;
  }
}

/** The request's `response_format` for the configured `responseFormat`, or undefined for `off`. */
export function responseFormat(options: {
  config: Pick<JudgeConfig, 'responseFormat'>;
  schema: VerdictSchema;
}): Record<string, unknown> | undefined {
  switch (options.config.responseFormat) {
    case 'json_schema':
      return { type: 'json_schema', json_schema: { ...options.schema, strict: true } };
    case 'json_object_schema':
      return { type: 'json_object', schema: options.schema.schema };
    case 'json_object':
      return { type: 'json_object' };
    case 'off':
      return undefined;
  }
}

/** The absolute URL a redirect points at, or undefined when its Location is missing or invalid. */
function redirectTarget(options: { from: string; location: string | null }): string | undefined {
  if (options.location === null) return undefined;
  try {
    return new URL(options.location, options.from).href;
  } catch {
    return undefined;
  }
}

/** A response body as text, read up to `limit` bytes; past that the stream is cancelled. */
async function readBounded(res: Response, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel();
    return { text: '', tooLarge: true };
  }
  if (res.body === null) return { text: '', tooLarge: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return { text: '', tooLarge: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: false };
}

/** fetch wraps the real cause (ECONNREFUSED, ECONNRESET, ...) in a generic "fetch failed". */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return error.message;
}
