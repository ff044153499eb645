import { LOGPROB_IO } from '../models/llama/logprob-graph.ts';
import type { RemoteSession } from './host/session-host.ts';
import { chunks, type PromptResponse, readResponseValues, scoredBatch } from './scored-batch.ts';

/**
 * Log-probs and entropies of given responses under the model (teacher forcing, no sampling):
 * the rollout policy's log-probs recomputed, or the reference model's with `loraScale` 0. One
 * value per response token. Sequences run in micro-batches of `microBatchSize` to bound the
 * [tokens, vocabulary] logits held at once.
 *
 * `session` runs a graph from `buildLogprobGraph`; LoRA inputs, if any, are bound beforehand.
 */
export async function computeLogprobs(options: {
  session: RemoteSession;
  sequences: readonly PromptResponse[];
  padId: number;
  temperature?: number;
  /** For graphs with LoRA inputs: 1 = policy, 0 = base model (the reference). */
  loraScale?: number;
  microBatchSize?: number;
}): Promise<{ logprobs: number[][]; entropies: number[][] }> {
  const logprobs: number[][] = [];
  const entropies: number[][] = [];
  for (const part of chunks(options.sequences, options.microBatchSize ?? 8)) {
    const batch = scoredBatch({ sequences: part, padId: options.padId });
    const feeds = {
      [LOGPROB_IO.inputIds]: batch.ids,
      [LOGPROB_IO.attentionMask]: batch.mask,
      [LOGPROB_IO.temperature]: {
        dtype: 'float32' as const,
        dims: [],
        data: Float32Array.of(options.temperature ?? 1),
      },
      ...(options.loraScale === undefined
        ? {}
        : {
            [LOGPROB_IO.loraScale]: {
              dtype: 'float32' as const,
              dims: [],
              data: Float32Array.of(options.loraScale),
            },
          }),
    };
    const { outputs } = await options.session.run({
      feeds,
      fetches: [LOGPROB_IO.logprobs, LOGPROB_IO.entropies],
    });
    logprobs.push(...readResponseValues({ sequences: part, tensor: outputs[LOGPROB_IO.logprobs]! }));
    entropies.push(...readResponseValues({ sequences: part, tensor: outputs[LOGPROB_IO.entropies]! }));
  }
  return { logprobs, entropies };
}
