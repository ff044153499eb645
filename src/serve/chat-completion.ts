import { randomBytes, randomInt } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { compileJsonSchema } from '../engine/constrain/json-schema-subset.ts';
import type { OutputConstraint } from '../engine/generation/generation-types.ts';
import { SamplingParamsSchema } from '../engine/sampling/sampling-params.ts';
import { ApiError } from './api-error.ts';
import { type ChatCompletionRequest, messageText, type ResponseFormat } from './chat-request.ts';
import type { ChatModel } from './served-model.ts';
import { openEventStream } from './sse.ts';
import { TextAssembler } from './text-assembler.ts';

/** Why a sequence was dropped when a stop string ended its text (not an error). */
const STOPPED_BY_STRING = Symbol('stop string');

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * Answers one chat completion: renders the messages with the model's chat template, runs the
 * sequence in the model's shared batch, and writes OpenAI's `chat.completion` object, or its
 * `chat.completion.chunk` events when `stream` is set. `signal` aborts when the client goes away:
 * the sequence is dropped and its slot freed. Returns the usage, for the log.
 */
export async function answerChatCompletion(options: {
  request: ChatCompletionRequest;
  model: ChatModel;
  /** max_tokens when the request gives none (capped by the context left after the prompt). */
  defaultMaxTokens: number;
  res: ServerResponse;
  signal: AbortSignal;
}): Promise<Usage> {
  const { request, model, res } = options;
  const prompt = model.encodeChat(
    request.messages.map((m) => ({
      role: m.role === 'developer' ? 'system' : m.role,
      content: messageText(m),
    })),
  );
  const room = model.contextLength - prompt.length;
  const asked = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  if (room < 1 || (asked !== undefined && asked > room)) {
    throw new ApiError({
      status: 400,
      code: 'context_length_exceeded',
      param: 'messages',
      message: `this model's context is ${model.contextLength} tokens; the messages take ${prompt.length} and ${asked ?? 1} more were asked for`,
    });
  }
  const params = SamplingParamsSchema.parse({
    temperature: request.temperature ?? 1,
    topP: request.top_p ?? 1,
    seed: request.seed ?? randomInt(2 ** 47),
    maxNewTokens: asked ?? Math.min(options.defaultMaxTokens, room),
  });
  const constraint = outputConstraint(request.response_format);
  const stops = request.stop === undefined || request.stop === null ? [] : [request.stop].flat();
  const assembler = new TextAssembler({
    decode: (ids) => model.decode(ids),
    stops,
    stopIds: new Set(model.stopIds),
  });
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const stream = request.stream === true ? openEventStream(res) : undefined;
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    stream?.send({
      id,
      object: 'chat.completion.chunk',
      created,
      model: model.id,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  chunk({ role: 'assistant', content: '' }, null);

  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  let text = '';
  let drawn = 0;
  const onToken = (token: number) => {
    drawn++;
    const piece = assembler.push(token);
    text += piece;
    if (piece !== '') chunk({ content: piece }, null);
    if (assembler.stopped) stop.abort(STOPPED_BY_STRING);
  };
  let finishReason: 'stop' | 'length';
  try {
    const done = await model.generate({
      prompt,
      params,
      stream: 0,
      ...(constraint === undefined ? {} : { constraint }),
      onToken,
      signal,
    });
    finishReason = done.finishReason;
  } catch (err) {
    if (!(stop.signal.aborted && err === STOPPED_BY_STRING)) {
      if (stream === undefined) throw err;
      stream.fail(err);
      throw err;
    }
    finishReason = 'stop';
  }
  const rest = assembler.finish();
  text += rest;
  const usage: Usage = {
    prompt_tokens: prompt.length,
    completion_tokens: drawn,
    total_tokens: prompt.length + drawn,
  };
  if (stream !== undefined) {
    if (rest !== '') chunk({ content: rest }, null);
    chunk({}, finishReason);
    if (request.stream_options?.include_usage === true) {
      stream.send({ id, object: 'chat.completion.chunk', created, model: model.id, choices: [], usage });
    }
    stream.end();
    return usage;
  }
  const body = JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model: model.id,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage,
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  return usage;
}

/** What `response_format` asks of the text, or nothing for plain text. */
function outputConstraint(format: ResponseFormat | undefined): OutputConstraint | undefined {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.json_schema.schema === undefined) {
    throw new ApiError({
      status: 400,
      code: 'invalid_json_schema',
      param: 'response_format.json_schema.schema',
      message: 'response_format.json_schema.schema: a JSON schema is required',
    });
  }
  // Refused here, before a streamed answer has sent its headers, when outside the subset.
  compileJsonSchema({ schema: format.json_schema.schema, path: 'response_format.json_schema.schema' });
  return { type: 'json_schema', schema: format.json_schema.schema };
}
