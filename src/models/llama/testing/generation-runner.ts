import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { toOrt } from '../../../graph/runtime.ts';
import { type HostTensor, tensor } from '../../../graph/tensor.ts';
import type { LlamaConfig } from '../../config.ts';
import { GENERATION_IO as IO } from '../generation-graph.ts';

/**
 * A minimal greedy driver of the generation graph for tests and benchmarks, independent of the
 * engine: a plain KV cache (keys [B, KV, D, M], values [B, KV, M, D]), a right-padded prefill from
 * an empty cache, then one token per row per step, each step's new keys and values written into
 * the cache by hand. Greedy by argmax over the fetched logits. (The engine owns real generation.)
 */
export interface GreedyResult {
  /** New tokens per row. */
  tokens: number[][];
  /** Logits [V] that chose each new token, per row. */
  logits: Float32Array[][];
}

/** Left padding with a mask (for the no-cache graphs): ids and mask int64 [B, T]. */
export function leftPad(
  prompts: readonly (readonly number[])[],
  padId = 0,
): { ids: HostTensor; mask: HostTensor } {
  const B = prompts.length;
  const T = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.flatMap((p) => [...Array<number>(T - p.length).fill(padId), ...p]);
  const mask = prompts.flatMap((p) => [...Array<number>(T - p.length).fill(0), ...p.map(() => 1)]);
  return { ids: tensor.i64([B, T], ids), mask: tensor.i64([B, T], mask) };
}

/** The sampling inputs with greedy on (their values do not matter then). */
function greedyInputs(batch: number): Record<string, Tensor> {
  return {
    [IO.invTemperature]: new Tensor('float32', Float32Array.of(1), []),
    [IO.greedy]: new Tensor('bool', Uint8Array.of(1), []),
    [IO.uniform]: new Tensor('float32', new Float32Array(batch), [batch]),
    [IO.topK]: new Tensor('int64', BigInt64Array.of(1n), [1]),
  };
}

/** A KV cache in plain arrays, in the layout the generation graph reads. */
export class HostKvCache {
  readonly keys: Float32Array[];
  readonly values: Float32Array[];
  constructor(
    private readonly config: LlamaConfig,
    private readonly batch: number,
    readonly capacity: number,
  ) {
    const size = batch * config.numKvHeads * capacity * config.headDim;
    this.keys = Array.from({ length: config.numLayers }, () => new Float32Array(size));
    this.values = Array.from({ length: config.numLayers }, () => new Float32Array(size));
  }
  feeds(): Record<string, Tensor> {
    const { numKvHeads: KV, headDim: D } = this.config;
    const [B, M] = [this.batch, this.capacity];
    const out: Record<string, Tensor> = {};
    this.keys.forEach((k, l) => {
      out[IO.pastKey(l)] = new Tensor('float32', k, [B, KV, D, M]);
      out[IO.pastValue(l)] = new Tensor('float32', this.values[l] as Float32Array, [B, KV, M, D]);
    });
    return out;
  }
  /** Writes row b's first counts[b] new tokens (of width T) at positions at[b]... */
  write(out: InferenceSession.ReturnType, at: readonly number[], counts: readonly number[], width: number) {
    const { numKvHeads: KV, headDim: D } = this.config;
    const M = this.capacity;
    this.keys.forEach((keys, l) => {
      const newKey = out[IO.newKey(l)]?.data as Float32Array;
      const newValue = out[IO.newValue(l)]?.data as Float32Array;
      const values = this.values[l] as Float32Array;
      for (let b = 0; b < this.batch; b++) {
        for (let h = 0; h < KV; h++) {
          for (let t = 0; t < (counts[b] as number); t++) {
            const pos = (at[b] as number) + t;
            for (let d = 0; d < D; d++) {
              const src = (((b * KV + h) * width + t) * D + d) as number;
              keys[((b * KV + h) * D + d) * M + pos] = newKey[src] as number;
              values[((b * KV + h) * M + pos) * D + d] = newValue[src] as number;
            }
          }
        }
      }
    });
  }
}

function rows(t: Tensor): Float32Array[] {
  const [B, V] = t.dims as [number, number];
  return Array.from({ length: B }, (_, b) => (t.data as Float32Array).slice(b * V, (b + 1) * V));
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
}

/**
 * Feeds of one step: row b appends `tokens[b]` (right-padded to the longest) after its `at[b]`
 * cached tokens; logits are drawn at each row's last new token.
 */
export function stepFeeds(
  tokens: readonly (readonly number[])[],
  at: readonly number[],
): Record<string, Tensor> {
  const B = tokens.length;
  const width = Math.max(...tokens.map((p) => p.length));
  return {
    [IO.inputIds]: toOrt(
      tensor.i64(
        [B, width],
        tokens.flatMap((p) => [...p, ...Array<number>(width - p.length).fill(0)]),
      ),
    ),
    [IO.positionIds]: toOrt(
      tensor.i64(
        [B, width],
        at.flatMap((a) => Array.from({ length: width }, (_, t) => a + t)),
      ),
    ),
    [IO.pastLengths]: toOrt(tensor.i64([B], at)),
    [IO.logitRows]: toOrt(
      tensor.i64(
        [B],
        tokens.map((p, b) => b * width + p.length - 1),
      ),
    ),
    ...greedyInputs(B),
  };
}

/** Runs one step over `cache` and writes its new keys and values; returns the fetched outputs. */
export async function cachedStep(options: {
  session: InferenceSession;
  cache: HostKvCache;
  tokens: readonly (readonly number[])[];
  at: readonly number[];
  fetches: readonly string[];
  extra?: Record<string, Tensor>;
}): Promise<InferenceSession.ReturnType> {
  const { cache, tokens, at } = options;
  const layers = cache.keys.length;
  const kv = Array.from({ length: layers }, (_, l) => [IO.newKey(l), IO.newValue(l)]).flat();
  const out = await options.session.run(
    { ...(options.extra ?? {}), ...cache.feeds(), ...stepFeeds(tokens, at) },
    [...new Set([...options.fetches, ...kv])],
  );
  const width = Math.max(...tokens.map((p) => p.length));
  cache.write(
    out,
    at,
    tokens.map((p) => p.length),
    width,
  );
  return out;
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
  const extra = Object.fromEntries(Object.entries(options.extra ?? {}).map(([k, v]) => [k, toOrt(v)]));
  const lengths = prompts.map((p) => p.length);
  const cache = new HostKvCache(config, B, Math.max(...lengths) + options.steps);
  const result: GreedyResult = { tokens: prompts.map(() => []), logits: prompts.map(() => []) };
  let tokens: (readonly number[])[] = [...prompts];
  let at = lengths.map(() => 0);
  for (let step = 0; step < options.steps; step++) {
    const out = await cachedStep({ session, cache, tokens, at, fetches: [IO.logits], extra });
    at = at.map((a, b) => a + (tokens[b] as readonly number[]).length);
    tokens = rows(out[IO.logits] as Tensor).map((row, b) => {
      result.logits[b]?.push(row);
      const token = argmax(row);
      result.tokens[b]?.push(token);
      return [token];
    });
  }
  return result;
}

/**
 * Logits at every position of each prompt, [row][position][V] with the row's own positions only
 * (padding dropped), from one prefill of the right-padded batch. Needs a graph built with `allLogits`.
 */
export async function promptLogits(options: {
  session: InferenceSession;
  config: LlamaConfig;
  prompts: readonly (readonly number[])[];
  extra?: Record<string, HostTensor>;
}): Promise<Float32Array[][]> {
  const { session, config, prompts } = options;
  const extra = Object.fromEntries(Object.entries(options.extra ?? {}).map(([k, v]) => [k, toOrt(v)]));
  const cache = new HostKvCache(config, prompts.length, Math.max(...prompts.map((p) => p.length)));
  const out = await session.run(
    {
      ...extra,
      ...cache.feeds(),
      ...stepFeeds(
        prompts,
        prompts.map(() => 0),
      ),
    },
    [IO.allLogits],
  );
  const all = out[IO.allLogits] as Tensor;
  const [, T, V] = all.dims as [number, number, number];
  const data = all.data as Float32Array;
  return prompts.map((p, b) =>
    Array.from({ length: p.length }, (_, t) => data.slice((b * T + t) * V, (b * T + t + 1) * V)),
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
