import { getLlama, type LlamaContext, LlamaLogLevel, type Token } from 'node-llama-cpp';
import type { RolloutFigures } from './rollout-figures.ts';

/**
 * The rollout peer: llama.cpp through node-llama-cpp on the same GGUF, the same prompt token ids
 * and the same number of new tokens per sequence, with its own batching of parallel sequences (one
 * context with `batch` sequences, evaluated concurrently so each decode step is one llama.cpp batch).
 * Generation is forced to `newTokens` per sequence (stop tokens are ignored), as on our side.
 */
export async function llamaCppRollout(options: {
  modelPath: string;
  prompts: readonly (readonly number[])[];
  newTokens: number;
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
          for await (const _ of generator) {
            if (n === 0) firstToken.push(performance.now() - started);
            if (++n >= newTokens) break;
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
    const total = prompts.length * newTokens;
    return {
      engine: 'llama.cpp (node-llama-cpp)',
      threads: options.threads,
      loadMs,
      prefillMs,
      decodeMs: wallMs - prefillMs,
      wallMs,
      tokensPerSecond: (total / wallMs) * 1000,
      decodeTokensPerSecond: ((total - prompts.length) / (wallMs - prefillMs)) * 1000,
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
