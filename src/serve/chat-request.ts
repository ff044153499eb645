import { z } from 'zod';
import { ApiError } from './api-error.ts';

/**
 * The body of `POST /v1/chat/completions`: the part of OpenAI's request that `anchorage serve`
 * honours. Other fields are ignored, except those whose meaning it cannot keep (`n` above 1,
 * `logprobs`, tools), which are refused rather than silently dropped.
 */

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

export const ChatMessageInput = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(TextPart)]).nullable(),
  name: z.string().optional(),
});

export const ResponseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().min(1).max(64),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

export const ChatCompletionRequest = z.object({
  model: z.string().min(1),
  messages: z.array(ChatMessageInput).min(1),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  stop: z
    .union([z.string().min(1), z.array(z.string().min(1)).max(4)])
    .nullable()
    .optional(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.number().int().min(1).nullable().optional(),
  response_format: ResponseFormat.optional(),
  logprobs: z.boolean().nullable().optional(),
  tools: z.array(z.unknown()).optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** The body parsed, or a 400 naming the first field that is wrong. */
export function parseChatRequest(body: unknown): ChatCompletionRequest {
  const parsed = ChatCompletionRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue === undefined || issue.path.length === 0 ? null : issue.path.join('.');
    throw new ApiError({
      status: 400,
      message: `${param ?? 'body'}: ${issue?.message ?? 'invalid request'}`,
      param,
      code: 'invalid_value',
    });
  }
  const request = parsed.data;
  const refuse = (param: string, message: string) => {
    throw new ApiError({ status: 400, message, param, code: 'unsupported_parameter' });
  };
  if ((request.n ?? 1) > 1) refuse('n', 'n: only one choice per request is supported');
  if (request.logprobs === true) refuse('logprobs', 'logprobs: not supported');
  if (request.tools !== undefined && request.tools.length > 0) refuse('tools', 'tools: not supported');
  return request;
}

/** A message's text: parts of an array content joined. */
export function messageText(message: z.infer<typeof ChatMessageInput>): string {
  if (message.content === null) return '';
  return typeof message.content === 'string' ? message.content : message.content.map((p) => p.text).join('');
}
