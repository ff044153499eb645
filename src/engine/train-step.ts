import type { HostTensor } from '../graph/tensor.ts';
import { TRAINING_IO } from '../models/llama/training-graph.ts';
import { type AdamWConfig, type AdamWState, adamwStep } from '../rl/optim/adamw.ts';
import { clipScale, globalGradNorm } from '../rl/optim/grad-norm.ts';
import { NonFiniteError } from '../rl/optim/non-finite.ts';
import { ValidationError } from '../util/errors.ts';
import type { RemoteSession } from './host/session-host.ts';
import {
  chunks,
  type PromptResponse,
  placeResponseValues,
  type ScoredBatch,
  scoredBatch,
} from './scored-batch.ts';
import { type TrainableState, trainableKind } from './trainable.ts';

/** One training sequence: prompt, response, the rollout's log-probs and the sequence's advantage. */
export interface TrainSequence extends PromptResponse {
  /** Per response token: log-prob under the policy that sampled it (at the training temperature). */
  readonly oldLogprobs: readonly number[];
  /** Per response token: log-prob under the reference model; needed when kl_coef is not 0. */
  readonly refLogprobs?: readonly number[];
  readonly advantage: number;
}

export interface TrainStepResult {
  /** Optimizer steps taken after this one. */
  step: number;
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Factor the gradients were scaled by (1 = not clipped). */
  clipScale: number;
  clipFraction: number;
  /** Mean per-token KL estimate to the reference model; null when the batch has no reference log-probs. */
  kl: number | null;
  /** Mean per-token entropy of the policy. */
  entropy: number;
  /** Every metric the graph reports ('loss/total', 'policy/clip_fraction', 'kl/ref', ...) plus 'grad/norm'. */
  metrics: Record<string, number>;
  sequences: number;
  tokens: number;
  ms: { forwardBackward: number; optimizer: number };
}

/**
 * How much one micro-batch weighs in the batch loss, by aggregation: its share of the
 * normaliser. A token mean over the batch is Σ_mb (tokens_mb / tokens) · mean_mb; a sequence mean
 * is Σ_mb (sequences_mb / sequences) · mean_mb (sequences with response tokens).
 */
export const MICRO_BATCH_UNITS: Readonly<
  Record<string, (batch: ScoredBatch, part: readonly PromptResponse[]) => number>
> = {
  'token-mean': (batch) => batch.responseTokens,
  'sequence-mean': (_, part) => part.filter((s) => s.responseIds.length > 0).length,
};

/**
 * Tokens per training-graph run when the caller does not say. The graph holds several
 * [tokens, vocabulary] float32 tensors at once; on SmolLM2 (vocabulary 49152), 8 x 256 tokens in one
 * run peaked at 13.6 GB resident and 39-48 tok/s, in runs of 2 x 256 at 5.2 GB and 54 tok/s.
 */
export const MICRO_BATCH_TOKENS = 512;

/** Sequences per run so that a micro-batch of the longest sequences stays within MICRO_BATCH_TOKENS. */
export function defaultMicroBatch(sequences: readonly PromptResponse[]): number {
  const longest = Math.max(1, ...sequences.map((s) => s.promptIds.length + s.responseIds.length));
  return Math.max(1, Math.floor(MICRO_BATCH_TOKENS / longest));
}

/** Metrics that are token means whatever the aggregation (weighted by tokens across micro-batches). */
const LOSS_METRICS = new Set(['loss/total', 'loss/policy', 'loss/kl']);

/** Arrays that sum micro-batch gradients, by the trainable kind's `gradientAccumulator`. */
const ACCUMULATORS = { float64: Float64Array, float32: Float32Array } as const;

const scalar = (v: number): HostTensor => ({ dtype: 'float32', dims: [], data: Float32Array.of(v) });

/**
 * One optimizer step on the trainable tensors (LoRA adapters, or every weight with full
 * fine-tuning): the training graph's loss and gradients over the batch (in micro-batches,
 * gradients summed with the aggregation's weights), global-norm clipping, AdamW.
 *
 * Nothing changes until the loss and every gradient are known to be finite: a non-finite step
 * throws NonFiniteError (not retryable) and leaves tensors and optimizer state exactly as they
 * were. `session` runs a graph from `buildTrainingGraph` with the options of the state's kind
 * (`trainableKind(state).trainingGraph`).
 */
export async function trainStep(options: {
  session: RemoteSession;
  /** The graph's aggregation name (for micro-batch weights). */
  aggregation: string;
  /** Scalar inputs of the objective (clip_low, clip_high, kl_coef, ...), all required. */
  hyper: Readonly<Record<string, number>>;
  trainable: TrainableState;
  optimizer: { state: AdamWState; config: AdamWConfig };
  sequences: readonly TrainSequence[];
  temperature?: number;
  maxGradNorm?: number;
  microBatchSize?: number;
  padId: number;
  /** Called after each micro-batch's forward and backward pass. */
  onMicroBatch?: (progress: { done: number; total: number }) => void;
}): Promise<TrainStepResult> {
  const { session, trainable, sequences } = options;
  validate(options);
  const started = performance.now();
  await session.bind({ feeds: trainableKind(trainable).trainFeeds(trainable) });
  const parts = chunks(sequences, options.microBatchSize ?? sequences.length);
  const batches = parts.map((part) => scoredBatch({ sequences: part, padId: options.padId }));
  const units = MICRO_BATCH_UNITS[options.aggregation];
  if (parts.length > 1 && units === undefined) {
    throw new ValidationError(
      `micro-batches need a weighting for aggregation '${options.aggregation}' (known: ${Object.keys(MICRO_BATCH_UNITS).join(', ')})`,
    );
  }
  const lossUnits = batches.map((b, i) => (units === undefined ? 1 : units(b, parts[i] as PromptResponse[])));
  const totalLossUnits = lossUnits.reduce((a, b) => a + b, 0) || 1;
  const totalTokens = batches.reduce((a, b) => a + b.responseTokens, 0) || 1;
  const gradNames = [...trainable.tensors.keys()];
  const Accumulator = ACCUMULATORS[trainableKind(trainable).gradientAccumulator];
  const grads = new Map(
    gradNames.map((n) => [n, new Accumulator((trainable.tensors.get(n) as Float32Array).length)]),
  );
  const metrics: Record<string, number> = {};
  for (const [i, part] of parts.entries()) {
    const batch = batches[i] as ScoredBatch;
    const lossWeight = (lossUnits[i] as number) / totalLossUnits;
    const tokenWeight = batch.responseTokens / totalTokens;
    const { outputs } = await session.run({ feeds: stepFeeds({ ...options, part, batch }) });
    for (const name of gradNames) {
      const g = outputs[TRAINING_IO.grad(name)]?.data as Float32Array | undefined;
      if (g === undefined)
        throw new ValidationError(`the training graph has no output ${TRAINING_IO.grad(name)}`);
      const acc = grads.get(name) as Float64Array | Float32Array;
      for (let j = 0; j < g.length; j++) acc[j] = (acc[j] as number) + lossWeight * (g[j] as number);
    }
    for (const [name, t] of Object.entries(outputs)) {
      if (name.startsWith('grad.') || t.dims.length !== 0) continue;
      const w = LOSS_METRICS.has(name) || name === TRAINING_IO.loss ? lossWeight : tokenWeight;
      metrics[name] = (metrics[name] ?? 0) + w * ((t.data as Float32Array)[0] as number);
    }
    options.onMicroBatch?.({ done: i + 1, total: parts.length });
  }
  const forwardBackward = performance.now() - started;
  const loss = metrics[TRAINING_IO.loss] ?? Number.NaN;
  if (!Number.isFinite(loss)) throw new NonFiniteError(`loss is ${loss}; the step is refused`);
  const grad32: Record<string, Float32Array> = {};
  for (const [name, acc] of grads) grad32[name] = acc instanceof Float32Array ? acc : Float32Array.from(acc);
  const gradNorm = globalGradNorm(grad32);
  const scale = clipScale({
    norm: gradNorm,
    ...(options.maxGradNorm === undefined ? {} : { maxNorm: options.maxGradNorm }),
  });
  const optStart = performance.now();
  adamwStep({
    params: Object.fromEntries(trainable.tensors),
    grads: grad32,
    state: options.optimizer.state,
    config: options.optimizer.config,
    gradScale: scale,
  });
  metrics['grad/norm'] = gradNorm;
  delete metrics[TRAINING_IO.loss];
  // Without reference log-probs (allowed when kl_coef is 0) the KL figures compare against zeros.
  const hasRef = sequences.every((s) => s.refLogprobs !== undefined);
  if (!hasRef) {
    delete metrics['kl/ref'];
    delete metrics['loss/kl'];
  }
  return {
    step: options.optimizer.state.step,
    loss,
    gradNorm,
    clipScale: scale,
    clipFraction: metrics['policy/clip_fraction'] ?? Number.NaN,
    kl: metrics['kl/ref'] ?? null,
    entropy: metrics['policy/entropy'] ?? Number.NaN,
    metrics,
    sequences: sequences.length,
    tokens: batches.reduce((a, b) => a + b.responseTokens, 0),
    ms: { forwardBackward, optimizer: performance.now() - optStart },
  };
}

function validate(options: {
  sequences: readonly TrainSequence[];
  hyper: Readonly<Record<string, number>>;
}): void {
  if (options.sequences.length === 0) throw new ValidationError('a train step needs at least one sequence');
  const needRef = (options.hyper['kl_coef'] ?? 0) !== 0;
  options.sequences.forEach((s, i) => {
    if (!Number.isFinite(s.advantage)) {
      throw new ValidationError(
        `sequences[${i}].advantage is ${s.advantage}; leave masked sequences out of the batch`,
        {
          location: { field: `sequences[${i}].advantage` },
        },
      );
    }
    if (needRef && s.refLogprobs === undefined) {
      throw new ValidationError(`sequences[${i}].refLogprobs is needed when kl_coef is not 0`, {
        location: { field: `sequences[${i}].refLogprobs` },
      });
    }
  });
  for (const [name, v] of Object.entries(options.hyper)) {
    if (!Number.isFinite(v))
      throw new ValidationError(`hyperparameter ${name} is ${v}`, { location: { field: name } });
  }
}

function stepFeeds(options: {
  part: readonly TrainSequence[];
  batch: ScoredBatch;
  hyper: Readonly<Record<string, number>>;
  temperature?: number;
}): Record<string, HostTensor> {
  const { part, batch } = options;
  const place = (values: (readonly number[])[], what: string) =>
    placeResponseValues({ sequences: part, values, width: batch.width, what });
  const feeds: Record<string, HostTensor> = {
    [TRAINING_IO.inputIds]: batch.ids,
    [TRAINING_IO.attentionMask]: batch.mask,
    [TRAINING_IO.lossMask]: batch.lossMask,
    [TRAINING_IO.oldLogprobs]: place(
      part.map((s) => s.oldLogprobs),
      'oldLogprobs',
    ),
    [TRAINING_IO.refLogprobs]: place(
      part.map((s) => s.refLogprobs ?? s.responseIds.map(() => 0)),
      'refLogprobs',
    ),
    [TRAINING_IO.advantages]: {
      dtype: 'float32',
      dims: [part.length],
      data: Float32Array.from(part, (s) => s.advantage),
    },
    [TRAINING_IO.temperature]: scalar(options.temperature ?? 1),
  };
  for (const [name, v] of Object.entries(options.hyper)) feeds[name] = scalar(v);
  return feeds;
}
