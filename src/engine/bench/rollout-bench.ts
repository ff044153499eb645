import { loadavg } from 'node:os';
import { Policy } from '../policy.ts';
import { llamaCppRollout } from './llama-cpp-rollout.ts';
import type { RolloutFigures } from './rollout-figures.ts';

/** Questions for the benchmark batch; sequence i gets question i mod length. */
export const BENCH_QUESTIONS = [
  'Write a short poem about the sea.',
  'What is the capital of France, and why is it famous?',
  'Explain gravity to a ten-year-old.',
  'List three fruits and describe their taste.',
  'Tell me a joke about programmers.',
  'How do I boil an egg?',
  'Describe a cat to someone who has never seen one.',
  'Why is the sky blue?',
];

export interface RolloutBenchResult {
  bench: 'rollout';
  model: string;
  batch: number;
  newTokens: number;
  promptTokens: number[];
  ours: RolloutFigures;
  peer?: RolloutFigures;
  /** ours / peer, for tokensPerSecond and decodeTokensPerSecond. */
  ratio?: { tokensPerSecond: number; decodeTokensPerSecond: number };
  /** 1-minute load average before and after: other processes on the machine skew figures. */
  loadAverage: [number, number];
}

/**
 * Rollout throughput: `batch` chat prompts, `newTokens` forced new tokens each (stop tokens off),
 * sampled at temperature 0.7 with top-k 40 and top-p 0.95. With `peer`, llama.cpp runs the same
 * prompt token ids and token counts on the same GGUF in the same process, right after ours.
 */
export async function benchRollout(options: {
  model: string;
  batch: number;
  newTokens: number;
  threads: number;
  peer?: 'llama.cpp';
  peerThreads?: number;
}): Promise<RolloutBenchResult> {
  const before = loadavg()[0] as number;
  const sampling = { temperature: 0.7, topK: 40, topP: 0.95, seed: 1 };
  const loadStart = performance.now();
  const policy = await Policy.load({ model: options.model, threads: options.threads });
  let ours: RolloutFigures;
  let promptIds: number[][];
  try {
    const prompts = Array.from({ length: options.batch }, (_, i) => ({
      messages: [{ role: 'user', content: BENCH_QUESTIONS[i % BENCH_QUESTIONS.length] as string }],
    }));
    promptIds = prompts.map((p) => policy.encode(p));
    // Warm-up: builds the session and touches every code path once.
    await policy.generate({
      prompts: prompts.slice(0, 1),
      sampling: { ...sampling, maxNewTokens: 4, stopIds: [] },
    });
    const loadMs = performance.now() - loadStart;
    const started = performance.now();
    const { stats } = await policy.generate({
      prompts,
      sampling: { ...sampling, maxNewTokens: options.newTokens, stopIds: [] },
    });
    const wallMs = performance.now() - started;
    const total = options.batch * options.newTokens;
    ours = {
      engine: 'anchorage (onnxruntime-node, float32)',
      threads: options.threads,
      loadMs,
      prefillMs: stats.prefillMs,
      decodeMs: stats.decodeMs,
      wallMs,
      tokensPerSecond: (total / wallMs) * 1000,
      decodeTokensPerSecond: ((total - options.batch) / stats.decodeMs) * 1000,
    };
  } finally {
    await policy.close();
  }
  const result: RolloutBenchResult = {
    bench: 'rollout',
    model: options.model,
    batch: options.batch,
    newTokens: options.newTokens,
    promptTokens: promptIds.map((p) => p.length),
    ours,
    loadAverage: [before, loadavg()[0] as number],
  };
  if (options.peer === 'llama.cpp') {
    const peer = await llamaCppRollout({
      modelPath: options.model,
      prompts: promptIds,
      newTokens: options.newTokens,
      threads: options.peerThreads ?? options.threads,
      sampling,
    });
    result.peer = peer;
    result.ratio = {
      tokensPerSecond: ours.tokensPerSecond / peer.tokensPerSecond,
      decodeTokensPerSecond: ours.decodeTokensPerSecond / peer.decodeTokensPerSecond,
    };
    result.loadAverage[1] = loadavg()[0] as number;
  }
  return result;
}
