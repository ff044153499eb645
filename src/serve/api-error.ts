import { UnsupportedSchemaError } from '../engine/constrain/json-schema-subset.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * An error answered to an HTTP client, OpenAI-style: a status code and a body
 * `{ "error": { "message", "type", "param", "code" } }`, as the `openai` client reads it.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  /** Extra response headers (Retry-After on 429). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(options: {
    status: number;
    message: string;
    type?: string;
    code?: string | null;
    param?: string | null;
    headers?: Record<string, string>;
  }) {
    super(options.message);
    this.status = options.status;
    this.type = options.type ?? (options.status >= 500 ? 'server_error' : 'invalid_request_error');
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  get body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/**
 * The client's view of any failure: ApiErrors as they are, bad input (a schema outside the
 * subset, a prompt beyond the context) as 400, anything else as a 500 that says no more than that
 * (the details go to the log).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof UnsupportedSchemaError) {
    return new ApiError({
      status: 400,
      message: err.message,
      code: 'invalid_json_schema',
      param: 'response_format',
    });
  }
  if (err instanceof ValidationError) {
    const context = /exceeds the model's context/.test(err.message);
    return new ApiError({
      status: 400,
      message: err.message,
      ...(context ? { code: 'context_length_exceeded', param: 'messages' } : {}),
    });
  }
  return new ApiError({ status: 500, message: 'the server failed to answer this request (see its log)' });
}
