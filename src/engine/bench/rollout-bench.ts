import type { QuantScheme } from '../../models/llama/quant/quantized-weights.ts';
import { DEFAULT_GENERATION_SLOTS } from '../generate.ts';
import { Policy } from '../policy.ts';
import type { SamplingParamsInput } from '../sampling/sampling-params.ts';
import { loadAverage, quietEnough, type Spread, spread, watchOtherWork } from './bench-stats.ts';
import { measureGemmGflops } from './gemm-rate.ts';
import { llamaCppRollout } from './llama-cpp-rollout.ts';
import { BENCH_QUESTIONS } from './questions.ts';
import type { RolloutFigures } from './rollout-figures.ts';
import { decodeFlopsPerToken } from './train-flops.ts';

/**
 * What a rollout benchmark generates:
 * - `forced`: `prompts` distinct prompts, exactly `newTokens` each (stop tokens off), sampled at
 *   temperature 0.7 with top-k 40 and top-p 0.95: raw decoding speed at a fixed batch.
 * - `rl`: `prompts` prompts x `samples` samples each, as a GRPO step draws them: temperature 1,
 *   no filters, a sequence ends on a stop token or at `newTokens`. Throughput counts the tokens
 *   actually generated (useful tokens/s).
 */
export type RolloutMode = 'forced' | 'rl';

const SAMPLING: Record<RolloutMode, Omit<SamplingParamsInput, 'maxNewTokens'>> = {
  forced: { temperature: 0.7, topK: 40, topP: 0.95, seed: 1, stopIds: [] },
  rl: { temperature: 1, topK: 0, topP: 1, seed: 1 },
};

const PEER_SAMPLING: Record<RolloutMode, { temperature: number; topK: number; topP: number; seed: number }> =
  {
    forced: { temperature: 0.7, topK: 40, topP: 0.95, seed: 1 },
    rl: { temperature: 1, topK: 0, topP: 1, seed: 1 },
  };

/** Ours and the peer's figures of one round, plus this round's ratios. */
export interface RolloutRound {
  /** One entry per quantisation scheme, in the order asked. */
  ours: (RolloutFigures & { quant: QuantScheme; achievedGflops: number; gemmShare: number })[];
  peer?: RolloutFigures;
  /** ours / peer tokens per second for each scheme, from this round only. */
  ratio?: { quant: QuantScheme; tokensPerSecond: number; decodeTokensPerSecond: number }[];
  /** 1-minute load average before and after the round. */
  loadAverage: [number, number];
}

export interface RolloutBenchResult {
  bench: 'rollout';
  model: string;
  mode: RolloutMode;
  prompts: number;
  samples: number;
  newTokens: number;
  threads: number;
  promptTokens: number[];
  /** The host's float32 GEMM rate (GFLOP/s) at the bench's thread count, measured at start. */
  gemmGflops: number;
  /** Forward FLOPs per generated token at the mean context (see decodeFlopsPerToken). */
  flopsPerToken: number;
  rounds: RolloutRound[];
  /** The 1-minute load average before the benchmark started. */
  startLoad: number;
  /** Over rounds, min / median / max. */
  summary: {
    ours: { quant: QuantScheme; tokensPerSecond: Spread; gemmShare: Spread }[];
    peer?: Spread;
    ratio?: { quant: QuantScheme; tokensPerSecond: Spread }[];
  };
  /** Cores other processes kept busy on average while the benchmark ran. */
  otherCores: number;
  /** Whether the ratios may be reported (see quietEnough), or were forced. */
  quiet: { report: boolean; forced: boolean; loadLimit: number; otherLimit: number };
  /** Peak resident memory of the process after our first round (before the peer ran), MB. */
  peakRssMb: number;
  /** Resident memory right after our first round (the cache and sessions, without the build peak), MB. */
  rssAfterMb: number;
}

/**
 * Rollout throughput. Each round runs our engine once per quantisation scheme and then, with `peer`,
 * llama.cpp on the same GGUF, prompt token ids and sampling, so every ratio compares runs made back
 * to back; `rounds` gives the spread. The GEMM rate measured at start turns throughput into the
 * share of the hardware limit reached (achieved GFLOP/s over the GEMM rate).
 */
export async function benchRollout(options: {
  model: string;
  mode: RolloutMode;
  /** Distinct prompts (forced: the batch). */
  prompts: number;
  /** Samples per prompt (rl; forced uses 1). */
  samples: number;
  newTokens: number;
  threads: number;
  /** Sequences our engine decodes together (default DEFAULT_GENERATION_SLOTS). */
  slots?: number;
  /** Our schemes to measure (default ['f32']). */
  quant?: readonly QuantScheme[];
  rounds?: number;
  peer?: 'llama.cpp';
  peerThreads?: number;
  /** Report ratios measured on a loaded machine (marked as such). */
  force?: boolean;
}): Promise<RolloutBenchResult> {
  const startLoad = loadAverage();
  const otherWork = watchOtherWork();
  const samples = options.mode === 'forced' ? 1 : options.samples;
  const schemes = options.quant ?? ['f32'];
  const sampling = { ...SAMPLING[options.mode], maxNewTokens: options.newTokens };
  const gemmGflops = await measureGemmGflops({ threads: options.threads });
  const policies: { quant: QuantScheme; policy: Policy; loadMs: number }[] = [];
  try {
    for (const quant of schemes) {
      const started = performance.now();
      const policy = await Policy.load({ model: options.model, threads: options.threads, quant });
      // Warm-up: builds the session and touches every code path once.
      await policy.generate({ prompts: [{ text: 'Hello' }], sampling: { ...sampling, maxNewTokens: 4 } });
      policies.push({ quant, policy, loadMs: performance.now() - started });
    }
    const first = policies[0] as { policy: Policy };
    const questions = Array.from({ length: options.prompts }, (_, i) => benchQuestion(i));
    const prompts = questions.flatMap((q) =>
      Array.from({ length: samples }, () => ({ messages: [{ role: 'user' as const, content: q }] })),
    );
    const promptIds = prompts.map((p) => first.policy.encode(p));
    const meanPrompt = promptIds.reduce((a, p) => a + p.length, 0) / promptIds.length;
    const flopsPerToken = decodeFlopsPerToken({
      config: first.policy.config,
      context: meanPrompt + options.newTokens / 2,
    });
    const stopIds = first.policy.tokenizer.stopIds;
    const rounds: RolloutRound[] = [];
    let peakRssMb = 0;
    let rssAfterMb = 0;
    for (let r = 0; r < (options.rounds ?? 1); r++) {
      const before = loadAverage();
      const ours: RolloutRound['ours'] = [];
      for (const { quant, policy, loadMs } of policies) {
        const figures = await ourRollout({
          policy,
          prompts,
          sampling,
          threads: options.threads,
          slots: options.slots ?? DEFAULT_GENERATION_SLOTS,
          loadMs,
        });
        const achievedGflops = (figures.tokensPerSecond * flopsPerToken) / 1e9;
        ours.push({ ...figures, quant, achievedGflops, gemmShare: achievedGflops / gemmGflops });
      }
      if (r === 0) {
        peakRssMb = process.resourceUsage().maxRSS / 1024;
        rssAfterMb = process.memoryUsage().rss / 2 ** 20;
      }
      const round: RolloutRound = { ours, loadAverage: [before, before] };
      if (options.peer === 'llama.cpp') {
        const peer = await llamaCppRollout({
          modelPath: options.model,
          prompts: promptIds,
          newTokens: options.newTokens,
          ...(options.mode === 'rl' ? { stopIds } : {}),
          threads: options.peerThreads ?? options.threads,
          sampling: PEER_SAMPLING[options.mode],
        });
        round.peer = peer;
        round.ratio = ours.map((o) => ({
          quant: o.quant,
          tokensPerSecond: o.tokensPerSecond / peer.tokensPerSecond,
          decodeTokensPerSecond: o.decodeTokensPerSecond / peer.decodeTokensPerSecond,
        }));
      }
      round.loadAverage[1] = loadAverage();
      rounds.push(round);
    }
    const ofScheme = (q: QuantScheme) =>
      rounds.map((r) => r.ours.find((o) => o.quant === q) as RolloutRound['ours'][0]);
    const summary: RolloutBenchResult['summary'] = {
      ours: schemes.map((quant) => ({
        quant,
        tokensPerSecond: spread(ofScheme(quant).map((o) => o.tokensPerSecond)),
        gemmShare: spread(ofScheme(quant).map((o) => o.gemmShare)),
      })),
    };
    if (options.peer !== undefined) {
      summary.peer = spread(rounds.map((r) => (r.peer as RolloutFigures).tokensPerSecond));
      summary.ratio = schemes.map((quant) => ({
        quant,
        tokensPerSecond: spread(
          rounds.map((r) => (r.ratio ?? []).find((x) => x.quant === quant)?.tokensPerSecond ?? Number.NaN),
        ),
      }));
    }
    const { otherCores } = otherWork();
    return {
      bench: 'rollout',
      model: options.model,
      mode: options.mode,
      prompts: options.prompts,
      samples,
      newTokens: options.newTokens,
      threads: options.threads,
      promptTokens: promptIds.map((p) => p.length),
      startLoad,
      gemmGflops,
      flopsPerToken,
      rounds,
      summary,
      otherCores,
      quiet: quietEnough({ startLoad, otherCores, force: options.force === true }),
      peakRssMb,
      rssAfterMb,
    };
  } finally {
    for (const { policy } of policies) await policy.close();
  }
}

/** Question i: distinct for every i (the list, then numbered variants of it). */
function benchQuestion(i: number): string {
  const base = BENCH_QUESTIONS[i % BENCH_QUESTIONS.length] as string;
  const round = Math.floor(i / BENCH_QUESTIONS.length);
  return round === 0 ? base : `${base} (Answer ${round + 1}.)`;
}

async function ourRollout(options: {
  policy: Policy;
  prompts: { messages: { role: 'user'; content: string }[] }[];
  sampling: SamplingParamsInput;
  threads: number;
  slots: number;
  loadMs: number;
}): Promise<RolloutFigures> {
  const started = performance.now();
  const { stats } = await options.policy.generate({
    prompts: options.prompts,
    sampling: options.sampling,
    batchSize: options.slots,
  });
  const wallMs = performance.now() - started;
  const sequences = options.prompts.length;
  return {
    engine: 'anchorage (onnxruntime-node)',
    threads: options.threads,
    loadMs: options.loadMs,
    prefillMs: stats.prefillMs,
    decodeMs: stats.decodeMs,
    wallMs,
    newTokens: stats.newTokens,
    tokensPerSecond: (stats.newTokens / wallMs) * 1000,
    decodeTokensPerSecond: ((stats.newTokens - sequences) / stats.decodeMs) * 1000,
    runMs: stats.runMs,
    prefillTokens: stats.prefillTokens,
  };
}
