import { createRng } from '../../graph/random.ts';
import type { HostTensor } from '../../graph/tensor.ts';
import { Policy } from '../policy.ts';
import { defaultMicroBatch, type TrainSequence } from '../train-step.ts';
import { loadAverage, quietEnough, type Spread, spread, watchOtherWork } from './bench-stats.ts';
import { measureGemmGflops } from './gemm-rate.ts';
import { type TorchTrainFigures, torchTrainPeer } from './torch-train.ts';
import { loraStepFlops } from './train-flops.ts';

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

/**
 * Training-step throughput on `batch` sequences of `seqLen` tokens (the last three quarters are
 * the response the loss covers), LoRA of `loraRank` on every projection, clipped-ratio loss with
 * token-mean aggregation, global-norm clipping and AdamW: one warm-up step, then `steps` timed
 * steps. Token ids and advantages are seeded random; old log-probs are a constant. With `peer`,
 * PyTorch runs the same step on the same weights, adapters and batch afterwards, in its own process.
 */
export async function benchTrain(options: {
  model: string;
  batch: number;
  seqLen: number;
  loraRank: number;
  steps: number;
  threads: number;
  peer?: 'torch';
  peerThreads?: number;
  /** Sequences per training-graph run (default: the policy's token budget, MICRO_BATCH_TOKENS). */
  microBatchSize?: number;
  /** Report the ratio measured on a loaded machine (marked as such). */
  force?: boolean;
}): Promise<TrainBenchResult> {
  const { batch: B, seqLen: T } = options;
  const before = loadAverage();
  const otherWork = watchOtherWork();
  const lora = { rank: options.loraRank, alpha: 2 * options.loraRank };
  const policy = await Policy.load({ model: options.model, threads: options.threads, lora, loraSeed: 7 });
  const config = policy.config;
  const rng = createRng(11);
  const promptLength = Math.max(1, Math.floor(T / 4));
  const sequences: TrainSequence[] = Array.from({ length: B }, (_, b) => {
    const ids = Array.from({ length: T }, () => rng.int(config.vocabSize));
    return {
      promptIds: ids.slice(0, promptLength),
      responseIds: ids.slice(promptLength),
      oldLogprobs: ids.slice(promptLength).map(() => -10),
      advantage: b % 2 === 0 ? 1 : -0.5,
    };
  });
  const loraInit = new Map([...(policy.lora?.tensors ?? [])].map(([k, v]) => [k, v.slice()]));
  const loraShapes = policy.lora?.shapes ?? new Map();
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
      losses.push(result.loss);
      if (step === 0) continue; // warm-up: builds the training session
      stepMs.push(elapsed);
      forwardBackwardMs += result.ms.forwardBackward / options.steps;
      optimizerMs += result.ms.optimizer / options.steps;
    }
  } finally {
    await policy.close();
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const meanMs = stepMs.reduce((a, b) => a + b, 0) / stepMs.length;
  const flopsPerStep = loraStepFlops({ config, batch: B, seqLen: T });
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
      tokensPerSecond: ((B * T) / meanMs) * 1000,
      forwardBackwardMs,
      optimizerMs,
      peakRssMb,
      achievedGflops: flopsPerStep / (meanMs / 1000) / 1e9,
      losses,
    },
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
      mask.fill(1, b * T + promptLength, (b + 1) * T);
      old.fill(-10, b * T + promptLength, (b + 1) * T);
    });
    const f32 = (dims: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', dims, data });
    const peer = await torchTrainPeer({
      config,
      lora: { ...lora, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] },
      weights: await policy.loadBaseWeights(),
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
