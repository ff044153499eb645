import { loadavg } from 'node:os';
import type { QuantScheme } from '../../models/llama/quant/quantized-weights.ts';
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

/** One round: each of our schemes, then the peer, back to back. */
export interface RolloutRound {
  /** One entry per quantisation scheme, in the order asked. */
  ours: (RolloutFigures & { quant: QuantScheme })[];
  peer?: RolloutFigures;
  /** ours / peer for each scheme, from this round only. */
  ratio?: { quant: QuantScheme; tokensPerSecond: number; decodeTokensPerSecond: number }[];
  /** 1-minute load average before and after the round: other processes skew figures. */
  loadAverage: [number, number];
}

export interface RolloutBenchResult {
  bench: 'rollout';
  model: string;
  batch: number;
  newTokens: number;
  promptTokens: number[];
  rounds: RolloutRound[];
}

const SAMPLING = { temperature: 0.7, topK: 40, topP: 0.95, seed: 1 };

/**
 * Rollout throughput: `batch` chat prompts, `newTokens` forced new tokens each (stop tokens off),
 * sampled at temperature 0.7 with top-k 40 and top-p 0.95. Each round runs our engine once per
 * quantisation scheme and then, with `peer`, llama.cpp on the same GGUF, prompt token ids and token
 * counts, so every ratio compares runs made back to back; `rounds` > 1 shows the spread.
 */
export async function benchRollout(options: {
  model: string;
  batch: number;
  newTokens: number;
  threads: number;
  /** Our schemes to measure (default ['f32']). */
  quant?: readonly QuantScheme[];
  rounds?: number;
  peer?: 'llama.cpp';
  peerThreads?: number;
}): Promise<RolloutBenchResult> {
  const schemes = options.quant ?? ['f32'];
  const policies: { quant: QuantScheme; policy: Policy; loadMs: number }[] = [];
  try {
    for (const quant of schemes) {
      const started = performance.now();
      const policy = await Policy.load({ model: options.model, threads: options.threads, quant });
      // Warm-up: builds the session and touches every code path once.
      await policy.generate({
        prompts: [{ text: 'Hello' }],
        sampling: { ...SAMPLING, maxNewTokens: 4, stopIds: [] },
      });
      policies.push({ quant, policy, loadMs: performance.now() - started });
    }
    const prompts = Array.from({ length: options.batch }, (_, i) => ({
      messages: [{ role: 'user' as const, content: BENCH_QUESTIONS[i % BENCH_QUESTIONS.length] as string }],
    }));
    const promptIds = prompts.map((p) => (policies[0] as { policy: Policy }).policy.encode(p));
    const rounds: RolloutRound[] = [];
    for (let r = 0; r < (options.rounds ?? 1); r++) {
      const before = loadavg()[0] as number;
      const ours = [];
      for (const { quant, policy, loadMs } of policies) {
        ours.push({ ...(await ourRollout({ policy, prompts, ...options, loadMs })), quant });
      }
      const round: RolloutRound = { ours, loadAverage: [before, before] };
      if (options.peer === 'llama.cpp') {
        const peer = await llamaCppRollout({
          modelPath: options.model,
          prompts: promptIds,
          newTokens: options.newTokens,
          threads: options.peerThreads ?? options.threads,
          sampling: SAMPLING,
        });
        round.peer = peer;
        round.ratio = ours.map((o) => ({
          quant: o.quant,
          tokensPerSecond: o.tokensPerSecond / peer.tokensPerSecond,
          decodeTokensPerSecond: o.decodeTokensPerSecond / peer.decodeTokensPerSecond,
        }));
      }
      round.loadAverage[1] = loadavg()[0] as number;
      rounds.push(round);
    }
    return {
      bench: 'rollout',
      model: options.model,
      batch: options.batch,
      newTokens: options.newTokens,
      promptTokens: promptIds.map((p) => p.length),
      rounds,
    };
  } finally {
    for (const { policy } of policies) await policy.close();
  }
}

async function ourRollout(options: {
  policy: Policy;
  prompts: { messages: { role: 'user'; content: string }[] }[];
  batch: number;
  newTokens: number;
  threads: number;
  loadMs: number;
}): Promise<RolloutFigures> {
  const started = performance.now();
  const { stats } = await options.policy.generate({
    prompts: options.prompts,
    sampling: { ...SAMPLING, maxNewTokens: options.newTokens, stopIds: [] },
    batchSize: options.batch,
  });
  const wallMs = performance.now() - started;
  const total = options.batch * options.newTokens;
  return {
    engine: 'anchorage (onnxruntime-node)',
    threads: options.threads,
    loadMs: options.loadMs,
    prefillMs: stats.prefillMs,
    decodeMs: stats.decodeMs,
    wallMs,
    tokensPerSecond: (total / wallMs) * 1000,
    decodeTokensPerSecond: ((total - options.batch) / stats.decodeMs) * 1000,
    runMs: stats.runMs,
  };
}
