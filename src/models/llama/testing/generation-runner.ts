import type { InferenceSession } from 'onnxruntime-node';
import { runSession } from '../../../graph/runtime.ts';
import { type HostTensor, tensor } from '../../../graph/tensor.ts';
import type { LlamaConfig } from '../../config.ts';
import { GENERATION_IO } from '../generation-graph.ts';

/**
 * A minimal greedy driver of the generation graph for tests and benchmarks: left-pads a batch of
 * prompts, prefills with an empty cache, then decodes one token per row per step, appending a 1 to
 * the attention mask and feeding present_* back as past_*. (The engine owns real sampling.)
 */
export interface GreedyResult {
  /** New tokens per row. */
  tokens: number[][];
  /** Logits [V] that chose each new token, per row. */
  logits: Float32Array[][];
}

export function leftPad(
  prompts: readonly (readonly number[])[],
  padId = 0,
): { ids: HostTensor; mask: HostTensor } {
  const B = prompts.length;
  const T = Math.max(...prompts.map((p) => p.length));
  const ids: number[] = [];
  const mask: number[] = [];
  for (const p of prompts) {
    for (let i = 0; i < T - p.length; i++) {
      ids.push(padId);
      mask.push(0);
    }
    ids.push(...p);
    for (let i = 0; i < p.length; i++) mask.push(1);
  }
  return { ids: tensor.i64([B, T], ids), mask: tensor.i64([B, T], mask) };
}

function emptyCache(config: LlamaConfig, batch: number): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  const dims = [batch, config.numKvHeads, 0, config.headDim];
  for (let layer = 0; layer < config.numLayers; layer++) {
    feeds[GENERATION_IO.pastKey(layer)] = tensor.f32(dims, []);
    feeds[GENERATION_IO.pastValue(layer)] = tensor.f32(dims, []);
  }
  return feeds;
}

function rows(t: HostTensor): Float32Array[] {
  const [B, V] = t.dims as [number, number];
  return Array.from({ length: B }, (_, b) => (t.data as Float32Array).slice(b * V, (b + 1) * V));
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
}

export async function greedyGenerate(options: {
  session: InferenceSession;
  config: LlamaConfig;
  prompts: readonly (readonly number[])[];
  steps: number;
  /** Extra feeds, e.g. lora_scale and the LoRA tensors. */
  extra?: Record<string, HostTensor>;
}): Promise<GreedyResult> {
  const { session, config, prompts } = options;
  const B = prompts.length;
  const padded = leftPad(prompts);
  let mask = Array.from(padded.mask.data as BigInt64Array, Number);
  let width = padded.mask.dims[1] as number;
  let feeds: Record<string, HostTensor> = {
    ...(options.extra ?? {}),
    ...emptyCache(config, B),
    [GENERATION_IO.inputIds]: padded.ids,
    [GENERATION_IO.attentionMask]: padded.mask,
  };
  const result: GreedyResult = { tokens: prompts.map(() => []), logits: prompts.map(() => []) };
  const fetches = [
    GENERATION_IO.logits,
    ...Array.from({ length: config.numLayers }, (_, l) => [
      GENERATION_IO.presentKey(l),
      GENERATION_IO.presentValue(l),
    ]).flat(),
  ];
  for (let step = 0; step < options.steps; step++) {
    const out = await runSession({ session, feeds, fetches });
    const next = rows(out[GENERATION_IO.logits] as HostTensor).map((row, b) => {
      result.logits[b]?.push(row);
      const token = argmax(row);
      result.tokens[b]?.push(token);
      return token;
    });
    // Append one real token per row to the mask: row b's mask gets a 1 at the end.
    const grown: number[] = [];
    for (let b = 0; b < B; b++) grown.push(...mask.slice(b * width, (b + 1) * width), 1);
    mask = grown;
    width += 1;
    feeds = { ...(options.extra ?? {}) };
    for (let layer = 0; layer < config.numLayers; layer++) {
      feeds[GENERATION_IO.pastKey(layer)] = out[GENERATION_IO.presentKey(layer)] as HostTensor;
      feeds[GENERATION_IO.pastValue(layer)] = out[GENERATION_IO.presentValue(layer)] as HostTensor;
    }
    feeds[GENERATION_IO.inputIds] = tensor.i64([B, 1], next);
    feeds[GENERATION_IO.attentionMask] = tensor.i64([B, width], mask);
  }
  return result;
}

/**
 * Logits at every position of each prompt, [row][position][V] with the row's own positions only
 * (padding dropped), from one prefill of the left-padded batch. Needs a graph built with `allLogits`.
 */
export async function promptLogits(options: {
  session: InferenceSession;
  config: LlamaConfig;
  prompts: readonly (readonly number[])[];
  extra?: Record<string, HostTensor>;
}): Promise<Float32Array[][]> {
  const { session, config, prompts } = options;
  const padded = leftPad(prompts);
  const out = await runSession({
    session,
    feeds: {
      ...(options.extra ?? {}),
      ...emptyCache(config, prompts.length),
      [GENERATION_IO.inputIds]: padded.ids,
      [GENERATION_IO.attentionMask]: padded.mask,
    },
    fetches: [GENERATION_IO.allLogits],
  });
  const all = out[GENERATION_IO.allLogits] as HostTensor;
  const [, T, V] = all.dims as [number, number, number];
  const data = all.data as Float32Array;
  return prompts.map((p, b) =>
    Array.from({ length: p.length }, (_, i) => {
      const t = T - p.length + i;
      return data.slice((b * T + t) * V, (b * T + t + 1) * V);
    }),
  );
}

/** Largest |a - b| over matching rows. */
export function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let worst = 0;
  a.forEach((row, i) => {
    const other = b[i] as Float32Array;
    for (let j = 0; j < row.length; j++)
      worst = Math.max(worst, Math.abs((row[j] as number) - (other[j] as number)));
  });
  return worst;
}
