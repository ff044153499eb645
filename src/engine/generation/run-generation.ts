import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { ValidationError } from '../../util/errors.ts';
import { runBatched } from './generation-loop.ts';
import type { GenerateRequest, GenerationProgress, GenerationStats } from './generation-types.ts';
import { closedIntake } from './sequence-intake.ts';

/**
 * Continuous-batching generation inside the session worker. Up to `slots` sequences decode
 * together; when one ends (a stop token or its token limit) its slot is freed at once, the running
 * ones are compacted to the front and waiting prompts are prefilled into the free slots, so the
 * batch stays full until the queue is empty. Sequences with the same prompt prefill it once and
 * copy its KV cache (prompt groups). The cache grows in place (see KvCache).
 *
 * Randomness: the n-th new token of sequence s uses `uniformAt({ seed, stream: streams[s], counter:
 * n })`, so a sequence's draws depend on the seed, its stream and its logits only, not on which
 * other sequences share its batch.
 */
export async function runGeneration(options: {
  session: InferenceSession;
  /** Inputs bound to the session (LoRA weights), fed on every run. */
  bound: Record<string, Tensor>;
  request: GenerateRequest;
  /** Reports each step and every sequence that finished in it. */
  report: (progress: GenerationProgress) => void;
  /** Checked between steps; a true answer stops generation with the reason it returns. */
  cancelled: () => string | undefined;
}): Promise<GenerationStats> {
  const { request } = options;
  const { model, params, prompts, streams } = request;
  const longest = Math.max(...prompts.map((p) => p.length));
  if (longest + params.maxNewTokens > model.contextLength) {
    throw new ValidationError(
      `prompt (${longest} tokens) + maxNewTokens (${params.maxNewTokens}) exceeds the model's context of ${model.contextLength}`,
    );
  }
  const stops = new Set(request.stopIds);
  const specs = prompts.map((prompt, index) => ({
    index,
    prompt,
    stream: streams[index] as number,
    params,
    stops,
  }));
  return runBatched({
    session: options.session,
    bound: options.bound,
    model,
    slots: Math.min(request.slots, prompts.length),
    intake: closedIntake(specs),
    report: options.report,
    cancelled: options.cancelled,
    streamTokens: false,
  });
}
