import type { LlamaConfig } from '../models/config.ts';
import type { FinishedSequence, GenerationStats } from './generation/generation-types.ts';
import type { RemoteSession } from './host/session-host.ts';
import type { SamplingParams } from './sampling/sampling-params.ts';

export type { GenerationStats };

/** Sequences decoded together unless told otherwise: the KV cache's rows. */
export const DEFAULT_GENERATION_SLOTS = 32;

/**
 * Generates continuations of token prompts with a generation-graph session: continuous batching
 * over `slots` rows in the session worker, shared prefill for identical prompts, in-place KV cache,
 * sampling in the graph (see generation/generation-loop.ts). Results come back in prompt order;
 * `onFinished` sees each sequence as soon as it ends.
 *
 * `session` runs a graph from `buildGenerationGraph` (LoRA inputs, if any, bound beforehand).
 */
export async function generateTokens(options: {
  session: RemoteSession;
  config: LlamaConfig;
  prompts: readonly (readonly number[])[];
  params: SamplingParams;
  stopIds: readonly number[];
  /** One random stream per prompt (default: its index); a sequence's draws depend on its stream only. */
  streams?: readonly number[];
  /** Sequences decoded together at most (default DEFAULT_GENERATION_SLOTS). */
  slots?: number;
  /** Called after every step (each prefill and each decode step), e.g. to heartbeat an activity. */
  onStep?: (progress: { step: number; active: number; newTokens: number }) => void;
  onFinished?: (sequence: FinishedSequence) => void;
  /** An aborted signal stops generation before the next step, rejecting with its reason. */
  signal?: AbortSignal;
}): Promise<{ sequences: FinishedSequence[]; stats: GenerationStats }> {
  const { config, params, prompts } = options;
  return options.session.generate({
    request: {
      prompts: prompts.map((p) => [...p]),
      streams: options.streams === undefined ? prompts.map((_, i) => i) : [...options.streams],
      params: {
        temperature: params.temperature,
        topP: params.topP,
        topK: params.topK,
        seed: params.seed,
        maxNewTokens: params.maxNewTokens,
      },
      stopIds: [...(params.stopIds ?? options.stopIds)],
      slots: options.slots ?? DEFAULT_GENERATION_SLOTS,
      model: {
        layers: config.numLayers,
        kvHeads: config.numKvHeads,
        headDim: config.headDim,
        vocabSize: config.vocabSize,
        contextLength: config.contextLength,
      },
    },
    ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
    ...(options.onFinished === undefined ? {} : { onFinished: options.onFinished }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
