import type { HostTensor } from '../graph/tensor.ts';
import type { LlamaConfig } from '../models/config.ts';
import { GENERATION_IO } from '../models/llama/generation-graph.ts';
import { ValidationError } from '../util/errors.ts';
import { growMask, leftPad, selectRows, tokenColumn } from './batching.ts';
import type { Carry } from './host/protocol.ts';
import type { RemoteSession } from './host/session-host.ts';
import { BatchSampler, type SampledSequence } from './sampling/batch-sampler.ts';
import type { SamplingParams } from './sampling/sampling-params.ts';

/** Distinguishes the KV caches of generations that share a session. */
let generationCounter = 0;

/** Timings of one generation call, for benchmarks and logs. */
export interface GenerationStats {
  promptTokens: number;
  newTokens: number;
  prefillMs: number;
  decodeMs: number;
  /** Decode steps run (one token per active sequence each). */
  decodeSteps: number;
  /** Time inside ONNX Runtime (the rest is messaging, sampling and bookkeeping). */
  runMs: number;
}

/**
 * Generates continuations of a batch of token prompts with the generation graph (KV cache):
 * one prefill of the left-padded batch, then one decode step per new token. A sequence that
 * finishes (stop token or `maxNewTokens`) leaves the batch: its rows are dropped from the cache
 * and the mask, so later steps only compute for sequences still running.
 *
 * `session` runs a graph from `buildGenerationGraph` (LoRA inputs, if any, bound beforehand).
 */
export async function generateTokens(options: {
  session: RemoteSession;
  config: LlamaConfig;
  prompts: readonly (readonly number[])[];
  params: SamplingParams;
  stopIds: readonly number[];
  /** One random stream per prompt (default: its index); see BatchSampler. */
  streams?: readonly number[];
  padId?: number;
  /** Called after every step (prefill and each decode step), e.g. to heartbeat an activity. */
  onStep?: (progress: { step: number; active: number; newTokens: number }) => void;
  /** Checked between steps: an aborted signal stops generation with its reason. */
  signal?: AbortSignal;
}): Promise<{ sequences: SampledSequence[]; stats: GenerationStats }> {
  const { session, config, prompts, params } = options;
  const longest = Math.max(0, ...prompts.map((p) => p.length));
  if (prompts.some((p) => p.length === 0)) throw new ValidationError('every prompt needs at least one token');
  if (longest + params.maxNewTokens > config.contextLength) {
    throw new ValidationError(
      `prompt (${longest} tokens) + maxNewTokens (${params.maxNewTokens}) exceeds the model's context of ${config.contextLength}`,
    );
  }
  const sampler = new BatchSampler({
    params,
    size: prompts.length,
    stopIds: params.stopIds ?? options.stopIds,
    ...(options.streams === undefined ? {} : { streams: options.streams }),
  });
  const padded = leftPad({ sequences: prompts, padId: options.padId ?? 0 });
  const layers = Array.from({ length: config.numLayers }, (_, l) => l);
  // Graphs that output each row's log Σ exp(logits) spare the sampler a pass over the vocabulary.
  const withLse = session.outputNames.includes(GENERATION_IO.logsumexp);
  const fetches = [
    GENERATION_IO.logits,
    ...(withLse ? [GENERATION_IO.logsumexp] : []),
    ...layers.flatMap((l) => [GENERATION_IO.presentKey(l), GENERATION_IO.presentValue(l)]),
  ];
  // The KV cache stays in the worker: present_* of a step are fed as past_* of the next, reduced
  // to the rows still running. Only ids, the mask and the logits cross the thread boundary.
  const carried = Object.fromEntries(
    layers.flatMap((l) => [
      [GENERATION_IO.presentKey(l), GENERATION_IO.pastKey(l)],
      [GENERATION_IO.presentValue(l), GENERATION_IO.pastValue(l)],
    ]),
  );
  const carryKey = `generate-${++generationCounter}`;
  const emptyPast = {
    dtype: 'float32' as const,
    dims: [prompts.length, config.numKvHeads, 0, config.headDim],
    data: new Float32Array(0),
  };
  let feeds: Record<string, HostTensor> = {
    [GENERATION_IO.inputIds]: padded.ids,
    [GENERATION_IO.attentionMask]: padded.mask,
  };
  for (const l of layers) {
    feeds[GENERATION_IO.pastKey(l)] = emptyPast;
    feeds[GENERATION_IO.pastValue(l)] = emptyPast;
  }
  let carry: Carry = { key: carryKey, outputs: carried, resume: false };
  let mask = padded.mask;
  let rows = sampler.active();
  const stats: GenerationStats = {
    promptTokens: prompts.reduce((a, p) => a + p.length, 0),
    newTokens: 0,
    prefillMs: 0,
    decodeMs: 0,
    decodeSteps: 0,
    runMs: 0,
  };
  try {
    for (let step = 0; rows.length > 0; step++) {
      options.signal?.throwIfAborted();
      const started = performance.now();
      const { outputs, runMs } = await session.run({ feeds, fetches, carry });
      const next = sampler.step({
        logits: outputs[GENERATION_IO.logits]?.data as Float32Array,
        rows,
        ...(withLse ? { logsumexp: outputs[GENERATION_IO.logsumexp]?.data as Float32Array } : {}),
      });
      stats.newTokens += rows.length;
      stats.runMs += runMs;
      // Rows whose sequence is still running, as indices into this step's batch.
      const keep = rows.flatMap((seq, r) => (sampler.active().includes(seq) ? [r] : []));
      const compact = keep.length < rows.length;
      mask = growMask(compact ? selectRows(mask, keep) : mask);
      feeds = {
        [GENERATION_IO.inputIds]: tokenColumn(keep.map((r) => next[r] as number)),
        [GENERATION_IO.attentionMask]: mask,
      };
      carry = { key: carryKey, outputs: carried, resume: true, ...(compact ? { rows: keep } : {}) };
      rows = keep.map((r) => rows[r] as number);
      const elapsed = performance.now() - started;
      if (step === 0) stats.prefillMs = elapsed;
      else {
        stats.decodeMs += elapsed;
        stats.decodeSteps += 1;
      }
      options.onStep?.({ step, active: rows.length, newTokens: stats.newTokens });
    }
  } finally {
    await session.forget(carryKey);
  }
  return { sequences: sampler.results(), stats };
}
