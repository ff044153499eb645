import { createRng } from '../../graph/random.ts';
import type { HostTensor } from '../../graph/tensor.ts';
import type { LlamaConfig } from '../../models/config.ts';
import { loadWeights } from '../../models/llama/weights.ts';
import { ValidationError } from '../../util/errors.ts';
import { parameterCount } from '../full-state.ts';
import { openModel } from '../model-files.ts';
import { Policy } from '../policy.ts';
import { defaultMicroBatch, type TrainSequence } from '../train-step.ts';
import type { TrainableKindName } from '../trainable.ts';
import { loadAverage, quietEnough, type Spread, spread, watchOtherWork } from './bench-stats.ts';
import { measureGemmGflops } from './gemm-rate.ts';
import { type TorchTrainFigures, torchTrainPeer } from './torch-train.ts';
import { fullStepFlops, loraStepFlops } from './train-flops.ts';

/** One fine-tuning mode's figures, measured in the same process one mode after the other. */
export interface TrainModeFigures {
  mode: TrainableKindName;
  /** Values the optimizer updates (AdamW keeps two moments for each). */
  trainableParameters: number;
  stepMs: number[];
  tokensPerSecond: number;
  forwardBackwardMs: number;
  optimizerMs: number;
  /**
   * Resident memory (MB) before the mode's policy loaded, and the highest sampled while it loaded
   * and trained (every 50 ms and after each step; a later mode starts from what an earlier one left).
   */
  rssBeforeMb: number;
  peakRssMb: number;
  flopsPerStep: number;
  achievedGflops: number;
  losses: number[];
}

export interface TrainBenchResult {
  bench: 'train';
  model: string;
  batch: number;
  seqLen: number;
  loraRank: number;
  steps: number;
  microBatchSize: number;
  ours: {
    engine: string;
    threads: number;
    stepMs: number[];
    /** Sequence tokens (prompt + response) per second of a whole step: forward, backward, optimizer. */
    tokensPerSecond: number;
    /** Of a step: time in the training graph (forward + backward) and in AdamW. */
    forwardBackwardMs: number;
    optimizerMs: number;
    /** Process peak resident memory (all sessions, weights and the main thread). */
    peakRssMb: number;
    achievedGflops: number;
    losses: number[];
  };
  /** Every mode asked for, in order (the first is `ours`, with the process's peak RSS there). */
  modes: TrainModeFigures[];
  /** float32 GEMM rate of this machine through ONNX Runtime with the same thread count. */
  gemmGflops: number;
  flopsPerStep: number;
  peer?: TorchTrainFigures & { achievedGflops: number };
  /** ours / peer tokens per second. */
  ratio?: number;
  /** Tokens per second of each timed step, min / median / max: ours, the peer's, and their ratio. */
  spread: { ours: Spread; peer?: Spread; ratio?: Spread };
  loadAverage: [number, number];
  /** Cores other processes kept busy on average while the benchmark ran. */
  otherCores: number;
  /** Whether the ratio may be reported (see quietEnough), or was forced. */
  quiet: { report: boolean; forced: boolean; loadLimit: number; otherLimit: number };
}

const HYPER = { clip_low: 0.2, clip_high: 0.28 };
const LR = 1e-4;
const MAX_GRAD_NORM = 1;

/** FLOPs of one step by fine-tuning mode (see train-flops.ts). */
const STEP_FLOPS: Record<TrainableKindName, typeof loraStepFlops> = {
  lora: loraStepFlops,
  full: fullStepFlops,
};

const rssMb = () => process.memoryUsage.rss() / (1024 * 1024);

/**
 * Training-step throughput on `batch` sequences of `seqLen` tokens (the last three quarters are
 * the response the loss covers), clipped-ratio loss with token-mean aggregation, global-norm
 * clipping and AdamW, for each mode of `finetune` (default LoRA of `loraRank` on every
 * projection; `full`: every weight): one warm-up step, then `steps` timed steps. Token ids and
 * advantages are seeded random; old log-probs are a constant. With `peer`, PyTorch runs the same
 * LoRA step on the same weights, adapters and batch afterwards, in its own process.
 */
export async function benchTrain(options: {
  model: string;
  batch: number;
  seqLen: number;
  loraRank: number;
  steps: number;
  threads: number;
  /** Modes to measure, in order (default ['lora']); the first is reported as `ours`. */
  finetune?: readonly TrainableKindName[];
  peer?: 'torch';
  peerThreads?: number;
  /** Sequences per training-graph run (default: the policy's token budget, MICRO_BATCH_TOKENS). */
  microBatchSize?: number;
  /** Report the ratio measured on a loaded machine (marked as such). */
  force?: boolean;
}): Promise<TrainBenchResult> {
  const { batch: B, seqLen: T } = options;
  const modes = options.finetune ?? ['lora'];
  if (modes.length === 0) throw new ValidationError('bench train: give at least one fine-tuning mode');
  if (options.peer !== undefined && modes[0] !== 'lora') {
    throw new ValidationError('bench train: the PyTorch peer runs the LoRA step; list lora first');
  }
  const before = loadAverage();
  const otherWork = watchOtherWork();
  const lora = { rank: options.loraRank, alpha: 2 * options.loraRank };
  const rng = createRng(11);
  let config: LlamaConfig | undefined;
  let sequences: TrainSequence[] = [];
  let loraInit = new Map<string, Float32Array>();
  let loraShapes: ReadonlyMap<string, readonly number[]> = new Map();
  const figures: TrainModeFigures[] = [];
  for (const mode of modes) {
    const rssBeforeMb = rssMb();
    let peakRssMb = rssBeforeMb;
    const sampler = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, rssMb());
    }, 50);
    const policy = await Policy.load({
      model: options.model,
      threads: options.threads,
      ...(mode === 'full' ? { full: true } : { lora, loraSeed: 7 }),
    });
    config = policy.config;
    if (sequences.length === 0) sequences = benchSequences({ config, batch: B, seqLen: T, rng });
    if (policy.lora !== undefined && loraInit.size === 0) {
      loraInit = new Map([...policy.lora.tensors].map(([k, v]) => [k, v.slice()]));
      loraShapes = policy.lora.shapes;
    }
    const losses: number[] = [];
    const stepMs: number[] = [];
    let forwardBackwardMs = 0;
    let optimizerMs = 0;
    try {
      for (let step = 0; step <= options.steps; step++) {
        const started = performance.now();
        const result = await policy.trainStep({
          sequences,
          hyper: { ...HYPER, kl_coef: 0 },
          optimizer: { lr: LR, weightDecay: 0 },
          maxGradNorm: MAX_GRAD_NORM,
          ...(options.microBatchSize === undefined ? {} : { microBatchSize: options.microBatchSize }),
        });
        const elapsed = performance.now() - started;
        peakRssMb = Math.max(peakRssMb, rssMb());
        losses.push(result.loss);
        if (step === 0) continue; // warm-up: builds the training session
        stepMs.push(elapsed);
        forwardBackwardMs += result.ms.forwardBackward / options.steps;
        optimizerMs += result.ms.optimizer / options.steps;
      }
    } finally {
      clearInterval(sampler);
      const trainable = policy.trainable;
      await policy.close();
      const meanMs = stepMs.reduce((a, b) => a + b, 0) / stepMs.length;
      const flopsPerStep = STEP_FLOPS[mode]({ config, batch: B, seqLen: T });
      figures.push({
        mode,
        trainableParameters: trainable === undefined ? 0 : parameterCount(trainable),
        stepMs,
        tokensPerSecond: ((B * T) / meanMs) * 1000,
        forwardBackwardMs,
        optimizerMs,
        rssBeforeMb,
        peakRssMb,
        flopsPerStep,
        achievedGflops: flopsPerStep / (meanMs / 1000) / 1e9,
        losses,
      });
    }
  }
  const first = figures[0] as TrainModeFigures;
  const stepMs = first.stepMs;
  const flopsPerStep = first.flopsPerStep;
  const gemmGflops = await measureGemmGflops({ threads: options.threads });
  const result: TrainBenchResult = {
    bench: 'train',
    model: options.model,
    batch: B,
    seqLen: T,
    loraRank: options.loraRank,
    steps: options.steps,
    microBatchSize: options.microBatchSize ?? defaultMicroBatch(sequences),
    ours: {
      engine: 'anchorage (onnxruntime-node training graph, float32)',
      threads: options.threads,
      stepMs,
      tokensPerSecond: first.tokensPerSecond,
      forwardBackwardMs: first.forwardBackwardMs,
      optimizerMs: first.optimizerMs,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      achievedGflops: first.achievedGflops,
      losses: first.losses,
    },
    modes: figures,
    gemmGflops,
    flopsPerStep,
    spread: { ours: spread(stepMs.map((ms) => ((B * T) / ms) * 1000)) },
    loadAverage: [before, loadAverage()],
    otherCores: 0,
    quiet: quietEnough({ startLoad: before, otherCores: 0, force: options.force === true }),
  };
  if (options.peer === 'torch') {
    const ids = new Float32Array(B * T);
    const mask = new Float32Array(B * T);
    const old = new Float32Array(B * T);
    sequences.forEach((s, b) => {
      [...s.promptIds, ...s.responseIds].forEach((id, t) => {
        ids[b * T + t] = id;
      });
      mask.fill(1, b * T + s.promptIds.length, (b + 1) * T);
      old.fill(-10, b * T + s.promptIds.length, (b + 1) * T);
    });
    const f32 = (dims: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', dims, data });
    const peer = await torchTrainPeer({
      config: config as LlamaConfig,
      lora: { ...lora, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] },
      weights: await loadWeights({ source: (await openModel({ path: options.model })).source }),
      batch: {
        input_ids: f32([B, T], ids),
        loss_mask: f32([B, T], mask),
        old_logprobs: f32([B, T], old),
        advantages: f32(
          [B],
          Float32Array.from(sequences, (s) => s.advantage),
        ),
      },
      loraInit,
      loraShapes,
      steps: options.steps,
      threads: options.peerThreads ?? options.threads,
      lr: LR,
      maxGradNorm: MAX_GRAD_NORM,
      hyper: HYPER,
    });
    const peerMs = peer.stepMs.reduce((a, b) => a + b, 0) / peer.stepMs.length;
    result.peer = { ...peer, achievedGflops: flopsPerStep / (peerMs / 1000) / 1e9 };
    result.ratio = result.ours.tokensPerSecond / peer.tokensPerSecond;
    const peerRates = peer.stepMs.map((ms) => ((B * T) / ms) * 1000);
    result.spread.peer = spread(peerRates);
    // Step i of ours against step i of the peer: the spread of the ratio over the timed steps.
    const ourRates = stepMs.map((ms) => ((B * T) / ms) * 1000);
    result.spread.ratio = spread(peerRates.map((p, i) => (ourRates[i] ?? Number.NaN) / p));
    result.loadAverage[1] = loadAverage();
  }
  result.otherCores = otherWork().otherCores;
  result.quiet = quietEnough({
    startLoad: before,
    otherCores: result.otherCores,
    force: options.force === true,
  });
  return result;
}

/** The benchmark's batch: seeded random tokens, the first quarter the prompt. */
function benchSequences(options: {
  config: LlamaConfig;
  batch: number;
  seqLen: number;
  rng: ReturnType<typeof createRng>;
}): TrainSequence[] {
  const { config, seqLen: T, rng } = options;
  const promptLength = Math.max(1, Math.floor(T / 4));
  return Array.from({ length: options.batch }, (_, b) => {
    const ids = Array.from({ length: T }, () => rng.int(config.vocabSize));
    return {
      promptIds: ids.slice(0, promptLength),
      responseIds: ids.slice(promptLength),
      oldLogprobs: ids.slice(promptLength).map(() => -10),
      advantage: b % 2 === 0 ? 1 : -0.5,
    };
  });
}
