import { z } from 'zod';

/**
 * What crosses between the main thread and the session worker for a generation: the request, a
 * progress message per step (with the sequences that finished in it) and the final statistics.
 * Validated on both sides (see host/protocol.ts).
 */

export const FinishReasonSchema = z.enum(['stop', 'length']);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

const tokenIds = z.array(z.number().int().nonnegative());

/** How a sequence's tokens are drawn (see sampling/sampling-params.ts). */
export const DrawParamsSchema = z.object({
  temperature: z.number().min(0),
  topP: z.number().gt(0).max(1),
  topK: z.number().int().min(0),
  seed: z.number().int().min(0),
  maxNewTokens: z.number().int().min(1),
});
export type DrawParams = z.infer<typeof DrawParamsSchema>;

/** The model's shape, for the cache and the context check. */
export const ModelShapeSchema = z.object({
  layers: z.number().int().min(1),
  kvHeads: z.number().int().min(1),
  headDim: z.number().int().min(1),
  vocabSize: z.number().int().min(1),
  contextLength: z.number().int().min(1),
});

export const GenerateRequestSchema = z
  .object({
    /** One prompt (token ids) per sequence; identical prompts share their prefill. */
    prompts: z.array(tokenIds.min(1, 'every prompt needs at least one token')).min(1),
    /** One random stream per sequence (see runGeneration). */
    streams: z.array(z.number().int().nonnegative()),
    params: DrawParamsSchema,
    stopIds: tokenIds,
    /** Sequences decoded together at most (the KV cache's rows). */
    slots: z.number().int().min(1),
    model: ModelShapeSchema,
  })
  .refine((r) => r.streams.length === r.prompts.length, {
    message: 'expected one stream id per prompt',
    path: ['streams'],
  });
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

/** A sequence's result, sent as soon as it finishes. */
export const FinishedSequenceSchema = z.object({
  /** Its index in the request. */
  index: z.number().int().nonnegative(),
  /** New token ids; a stop token that ended the sequence is the last entry. */
  tokenIds: tokenIds,
  /** Per token: log-softmax at temperature 1, the policy's own log-prob. */
  logprobs: z.array(z.number()),
  /** Per token: log-prob under the distribution actually sampled (temperature, top-k, top-p). */
  samplingLogprobs: z.array(z.number()),
  finishReason: FinishReasonSchema,
});
export type FinishedSequence = z.infer<typeof FinishedSequenceSchema>;

export const GenerationProgressSchema = z.object({
  /** Runs so far (prefills and decode steps), counting from 0. */
  step: z.number().int().nonnegative(),
  /** Sequences decoding after this step. */
  active: z.number().int().nonnegative(),
  /** New tokens drawn so far, over all sequences. */
  newTokens: z.number().int().nonnegative(),
  finished: z.array(FinishedSequenceSchema),
  /** The tokens drawn in this step, by sequence (open generations only: they stream). */
  tokens: z.array(z.object({ index: z.number().int().nonnegative(), token: z.number().int() })).optional(),
  /** Sent by a paced open generation when it waits (for steps, or idle): the steps it has run so far. */
  held: z.number().int().nonnegative().optional(),
});
export type GenerationProgress = z.infer<typeof GenerationProgressSchema>;

/** Timings of one generation, for benchmarks and logs. */
export const GenerationStatsSchema = z.object({
  /** Prompt tokens over all sequences. */
  promptTokens: z.number(),
  /** Prompt tokens actually computed (each shared prompt once). */
  prefillTokens: z.number(),
  newTokens: z.number(),
  prefillMs: z.number(),
  decodeMs: z.number(),
  /** Decode steps run (one token per running sequence each). */
  decodeSteps: z.number(),
  prefillRuns: z.number(),
  /** Time inside ONNX Runtime (the rest is sampling in JS, cache copies and bookkeeping). */
  runMs: z.number(),
  /** Most sequences decoded together. */
  peakBatch: z.number(),
  /** Bytes of the KV cache at the start. */
  cacheBytes: z.number(),
});
export type GenerationStats = z.infer<typeof GenerationStatsSchema>;

/**
 * What the text of a constrained sequence must be: a document of a JSON schema (the subset that
 * constrain/json-schema-subset.ts compiles), or any JSON object.
 */
export const OutputConstraintSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('json_schema'), schema: z.unknown() }),
  z.object({ type: z.literal('json_object') }),
]);
export type OutputConstraint = z.infer<typeof OutputConstraintSchema>;

/** One sequence added to an open generation (see open-generation in generation-loop.ts). */
export const OpenSequenceSchema = z.object({
  /** The caller's id for it, unique in the generation: progress reports it as `index`. */
  key: z.number().int().nonnegative(),
  prompt: tokenIds.min(1, 'every prompt needs at least one token'),
  stream: z.number().int().nonnegative(),
  params: DrawParamsSchema,
  stopIds: tokenIds,
  constraint: OutputConstraintSchema.optional(),
});
export type OpenSequence = z.infer<typeof OpenSequenceSchema>;

/**
 * An open generation: sequences arrive while it runs and may be dropped (see `IntakeSchema`);
 * it runs until its intake is ended and every sequence is done.
 */
export const OpenGenerationRequestSchema = z.object({
  slots: z.number().int().min(1),
  model: ModelShapeSchema,
  /**
   * Each token id's text for constrained sequences (see constrain/token-texts.ts), null where a
   * token never appears in constrained text; without it, constrained sequences are refused.
   */
  tokenTexts: z.array(z.string().nullable()).optional(),
  /** Ids that end a constrained document (the tokenizer's stop ids). */
  stopIds: tokenIds,
  /**
   * Runs only the steps granted by intake messages (`steps`), reporting `held` each time it waits:
   * for tests that must order events against the steps. Free once its intake has ended.
   */
  paced: z.boolean().optional(),
});
export type OpenGenerationRequest = z.infer<typeof OpenGenerationRequestSchema>;

/** Changes to an open generation's sequences: new ones, dropped ones (by key), or the end of arrivals. */
export const IntakeSchema = z.object({
  add: z.array(OpenSequenceSchema).default([]),
  drop: z.array(z.number().int().nonnegative()).default([]),
  end: z.boolean().default(false),
  /** More steps for a paced generation (see `paced`). */
  steps: z.number().int().nonnegative().default(0),
});
export type Intake = z.input<typeof IntakeSchema>;
