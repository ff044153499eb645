import { Agent, fetch as undiciFetch } from 'undici';

/**
 * The `fetch` that judge and rubric-generator requests go through. Node's own fetch gives up on a
 * reply whose headers take more than 300 s (undici's `headersTimeout`), whatever the judge config's
 * `timeoutMs` says; a judge queue under load (a local server shared with training, a busy vLLM)
 * answers a non-streamed request that late. Here the connection has no timeouts of its own, so
 * `timeoutMs` (the request's abort signal, src/rubric/judge/chat-client.ts) is the only limit.
 */
export const NO_CONNECTION_TIMEOUTS = { headersTimeout: 0, bodyTimeout: 0 } as const;

const agent = new Agent(NO_CONNECTION_TIMEOUTS);

export const judgeFetch: typeof fetch = (input, init) =>
  undiciFetch(input as Parameters<typeof undiciFetch>[0], {
    ...(init as Parameters<typeof undiciFetch>[1]),
    dispatcher: agent,
  }) as unknown as Promise<Response>;
