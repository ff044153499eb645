import { getLlama, type LlamaContext, LlamaLogLevel, type Token } from 'node-llama-cpp';
import type { RolloutFigures } from './rollout-figures.ts';

/**
 * The rollout peer: llama.cpp through node-llama-cpp on the same GGUF and the same prompt token ids,
 * with its own batching of parallel sequences (one context with a sequence per prompt, evaluated
 * concurrently so each decode step is one llama.cpp batch). Without `stopIds` every sequence is
 * forced to `newTokens`; with them a sequence also ends on its first stop token (counted, as ours
 * counts it), so only useful tokens are timed.
 */
export async function llamaCppRollout(options: {
  modelPath: string;
  prompts: readonly (readonly number[])[];
  newTokens: number;
  stopIds?: readonly number[];
  threads: number;
  sampling: { temperature: number; topK: number; topP: number; seed: number };
}): Promise<RolloutFigures> {
  const { prompts, newTokens } = options;
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const loadStart = performance.now();
  const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
  const longest = Math.max(...prompts.map((p) => p.length));
  const context = await model.createContext({
    sequences: prompts.length,
    contextSize: longest + newTokens + 8,
    threads: { ideal: options.threads, min: options.threads },
    flashAttention: false,
  });
  const loadMs = performance.now() - loadStart;
  try {
    const stops = new Set(options.stopIds ?? []);
    let generated = 0;
    const run = async () => {
      const sequences = prompts.map(() => context.getSequence());
      const firstToken: number[] = [];
      const started = performance.now();
      await Promise.all(
        sequences.map(async (sequence, i) => {
          let n = 0;
          const generator = sequence.evaluate(prompts[i] as Token[], {
            temperature: options.sampling.temperature,
            topK: options.sampling.topK,
            topP: options.sampling.topP,
            seed: options.sampling.seed + i,
          });
          for await (const token of generator) {
            if (n === 0) firstToken.push(performance.now() - started);
            generated++;
            if (++n >= newTokens || stops.has(token)) break;
          }
        }),
      );
      const wallMs = performance.now() - started;
      for (const s of sequences) s.dispose();
      // Prefill ends when the last sequence has its first token.
      const prefillMs = Math.max(...firstToken);
      return { wallMs, prefillMs };
    };
    await runWarmup(context, prompts[0] as readonly number[]);
    const { wallMs, prefillMs } = await run();
    return {
      engine: 'llama.cpp (node-llama-cpp)',
      threads: options.threads,
      loadMs,
      prefillMs,
      decodeMs: wallMs - prefillMs,
      wallMs,
      newTokens: generated,
      tokensPerSecond: (generated / wallMs) * 1000,
      decodeTokensPerSecond: ((generated - prompts.length) / (wallMs - prefillMs)) * 1000,
    };
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

/** A few tokens first so that lazy allocations are not timed. */
async function runWarmup(context: LlamaContext, prompt: readonly number[]): Promise<void> {
  const sequence = context.getSequence();
  let n = 0;
  for await (const _ of sequence.evaluate(prompt as Token[], { temperature: 0 })) if (++n >= 4) break;
  sequence.dispose();
}
