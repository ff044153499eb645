import { z } from 'zod';

/**
 * How tokens are drawn. Temperature 0 is greedy (argmax, lowest id on ties). `topK` 0 and
 * `topP` 1 switch those filters off; with both on, top-k is applied first and top-p works on the
 * renormalised top-k distribution (the order Hugging Face and vLLM use).
 */
export const SamplingParamsSchema = z.object({
  temperature: z.number().min(0).default(1),
  topP: z.number().gt(0).max(1).default(1),
  topK: z.number().int().min(0).default(0),
  /** Any safe integer >= 0; with the same seed and streams, sampling is reproducible. */
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  maxNewTokens: z.number().int().min(1).default(128),
  /** Token ids that end a sequence (kept as its last token). Default: the tokenizer's stop ids. */
  stopIds: z.array(z.number().int().min(0)).optional(),
});
export type SamplingParams = z.infer<typeof SamplingParamsSchema>;
export type SamplingParamsInput = z.input<typeof SamplingParamsSchema>;
