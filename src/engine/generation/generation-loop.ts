import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { GENERATION_IO as IO } from '../../models/llama/generation-graph.ts';
import { ValidationError } from '../../util/errors.ts';
import { NonFiniteError } from '../../rl/optim/non-finite.ts';
import { uniformAt } from '../sampling/prng.ts';
import { sampleCandidates } from '../sampling/sample-candidates.ts';
import { sampleToken, type TokenDraw } from '../sampling/sample-token.ts';
import type {
  FinishedSequence,
  GenerateRequest,
  GenerationProgress,
  GenerationStats,
} from './generation-types.ts';
import { KvCache } from './kv-cache.ts';
import { compactionMoves, groupPrompts, type PromptGroup } from './prompt-groups.ts';

/** The largest float32 below 1: a uniform rounded to float32 must stay below 1. */
const BELOW_ONE = 1 - 2 ** -24;

/**
 * Positions a cache holds beyond what its rows need, and grows by when one fills up. Attention
 * reads every position of the buffers (masked beyond a row's length), so the capacity follows
 * the longest row instead of reserving the whole token limit at once.
 */
const CAPACITY_STEP = 128;

/**
 * How a decode step draws tokens: in the graph (full distribution, or greedy), from the graph's
 * top-k candidates (top-k, then top-p within them), or from the whole logits row (top-p alone).
 */
type DrawMode = 'graph' | 'top-k' | 'full-row';

interface Running {
  /** Sequence index in the request. */
  seq: number;
  /** Tokens in the slot's cache (prompt + generated, the last generated one not yet fed). */
  cached: number;
  /** The last drawn token, fed on the next step. */
  next: number;
}

/**
 * Continuous-batching generation inside the session worker. Up to `slots` sequences decode
 * together; when one ends (a stop token or its token limit) its slot is freed at once, the running
 * ones are compacted to the front and waiting prompts are prefilled into the free slots, so the
 * batch stays full until the queue is empty. Sequences with the same prompt prefill it once and
 * copy its KV cache (prompt groups). The cache grows in place (see KvCache).
 *
 * Randomness: the n-th new token of sequence s uses `uniformAt({ seed, stream: streams[s], counter:
 * n })`, so a sequence's draws depend on the seed, its stream and its logits only, not on which
 * other sequences share its batch.
 */
export async function runGeneration(options: {
  session: InferenceSession;
  /** Inputs bound to the session (LoRA weights), fed on every run. */
  bound: Record<string, Tensor>;
  request: GenerateRequest;
  /** Reports each step and every sequence that finished in it. */
  report: (progress: GenerationProgress) => void;
  /** Checked between steps; a true answer stops generation with the reason it returns. */
  cancelled: () => string | undefined;
}): Promise<GenerationStats> {
  const { session, bound, request, report } = options;
  const { model, params, prompts, streams } = request;
  const stops = new Set(request.stopIds);
  const greedy = params.temperature === 0;
  // A top-k that keeps the whole vocabulary filters nothing, and sampleToken (the first token after
  // a prefill) ignores it: drawing from the graph's candidates would walk them by rank, not by id.
  const topK = params.topK < model.vocabSize ? params.topK : 0;
  const mode: DrawMode =
    greedy || (topK === 0 && params.topP >= 1) ? 'graph' : topK > 0 ? 'top-k' : 'full-row';
  const longest = Math.max(...prompts.map((p) => p.length));
  const needed = longest + params.maxNewTokens;
  if (needed > model.contextLength) {
    throw new ValidationError(
      `prompt (${longest} tokens) + maxNewTokens (${params.maxNewTokens}) exceeds the model's context of ${model.contextLength}`,
    );
  }
  const slots = Math.min(request.slots, prompts.length);
  const cache = new KvCache(
    model.layers,
    slots,
    model.kvHeads,
    model.headDim,
    Math.min(needed, longest + CAPACITY_STEP),
  );
  const waiting: PromptGroup[] = groupPrompts({ prompts, maxMembers: slots });
  const tokens: number[][] = prompts.map(() => []);
  const logprobs: number[][] = prompts.map(() => []);
  const samplingLogprobs: number[][] = prompts.map(() => []);
  let running: Running[] = [];
  const stats: GenerationStats = {
    promptTokens: prompts.reduce((a, p) => a + p.length, 0),
    prefillTokens: 0,
    newTokens: 0,
    prefillMs: 0,
    decodeMs: 0,
    decodeSteps: 0,
    prefillRuns: 0,
    runMs: 0,
    peakBatch: 0,
    cacheBytes: cache.bytes,
  };
  const u = (seq: number) =>
    uniformAt({
      seed: params.seed,
      stream: streams[seq] as number,
      counter: (tokens[seq] as number[]).length,
    });

  /** Records a drawn token; true when the sequence is finished. */
  const record = (seq: number, draw: TokenDraw): boolean => {
    if (!Number.isFinite(draw.logprob)) throw new NonFiniteError(`sequence ${seq}: log-prob ${draw.logprob}`);
    (tokens[seq] as number[]).push(draw.token);
    (logprobs[seq] as number[]).push(draw.logprob);
    (samplingLogprobs[seq] as number[]).push(draw.samplingLogprob);
    stats.newTokens += 1;
    return stops.has(draw.token) || (tokens[seq] as number[]).length >= params.maxNewTokens;
  };
  const finished = (seq: number): FinishedSequence => {
    const ids = tokens[seq] as number[];
    return {
      index: seq,
      tokenIds: ids,
      logprobs: logprobs[seq] as number[],
      samplingLogprobs: samplingLogprobs[seq] as number[],
      finishReason: stops.has(ids[ids.length - 1] as number) ? 'stop' : 'length',
    };
  };

  const run = async (feeds: Record<string, Tensor>, fetches: Record<string, Tensor | null>) => {
    const reason = options.cancelled();
    if (reason !== undefined) throw new GenerationCancelled(reason);
    const started = performance.now();
    const out = await session.run({ ...bound, ...feeds }, fetches as InferenceSession.FetchesType);
    stats.runMs += performance.now() - started;
    return out;
  };
  const cacheFeeds = (start: number, count: number) => {
    const views = cache.tensors(start, count);
    const feeds: Record<string, Tensor> = {};
    const fetches: Record<string, null> = {};
    for (let l = 0; l < model.layers; l++) {
      feeds[IO.pastKey(l)] = views[2 * l] as Tensor;
      feeds[IO.pastValue(l)] = views[2 * l + 1] as Tensor;
      fetches[IO.newKey(l)] = null;
      fetches[IO.newValue(l)] = null;
    }
    return { feeds, fetches };
  };
  /** Puts a run's new keys and values into the cache: row b's first counts[b] tokens into slots[b] at ats[b]. */
  const writeNew = (
    out: InferenceSession.ReturnType,
    rows: { slot: number; at: number; count: number }[],
    width: number,
  ) => {
    for (let l = 0; l < model.layers; l++) {
      const newKey = out[IO.newKey(l)]?.data as Float32Array;
      const newValue = out[IO.newValue(l)]?.data as Float32Array;
      rows.forEach((r, row) => {
        cache.write({ layer: l, slot: r.slot, at: r.at, newKey, newValue, row, width, count: r.count });
      });
    }
  };
  const samplingFeeds = (rows: readonly number[]) => ({
    [IO.invTemperature]: new Tensor('float32', Float32Array.of(greedy ? 1 : 1 / params.temperature), []),
    [IO.greedy]: new Tensor('bool', Uint8Array.of(greedy ? 1 : 0), []),
    [IO.uniform]: new Tensor(
      'float32',
      Float32Array.from(rows, (seq) => (greedy ? 0 : Math.min(u(seq), BELOW_ONE))),
      [rows.length],
    ),
    [IO.topK]: new Tensor(
      'int64',
      BigInt64Array.of(BigInt(mode === 'top-k' ? Math.min(params.topK, model.vocabSize) : 1)),
      [1],
    ),
  });

  /**
   * Prefills the next waiting groups that fit into the free slots; returns the sequences that
   * finished on their first token, or undefined when nothing fitted.
   */
  const admit = async (): Promise<FinishedSequence[] | undefined> => {
    const free = slots - running.length;
    const batch: PromptGroup[] = [];
    let members = 0;
    while (waiting.length > 0 && members + (waiting[0] as PromptGroup).members.length <= free) {
      const group = waiting.shift() as PromptGroup;
      batch.push(group);
      members += group.members.length;
    }
    if (batch.length === 0) return undefined;
    const started = performance.now();
    const first = running.length; // heads go to first..first+k-1, the other members after them
    const width = Math.max(...batch.map((g) => g.prompt.length));
    if (width > cache.capacity) {
      cache.resize({
        capacity: Math.min(needed, width + CAPACITY_STEP),
        lengths: running.map((r) => r.cached),
      });
    }
    const k = batch.length;
    const ids = new BigInt64Array(k * width);
    const positions = new BigInt64Array(k * width);
    const rows = new BigInt64Array(k);
    batch.forEach((group, b) => {
      group.prompt.forEach((id, t) => {
        ids[b * width + t] = BigInt(id);
      });
      for (let t = 0; t < width; t++) positions[b * width + t] = BigInt(t);
      rows[b] = BigInt(b * width + group.prompt.length - 1);
      stats.prefillTokens += group.prompt.length;
    });
    const kv = cacheFeeds(first, k);
    const out = await run(
      {
        ...kv.feeds,
        ...samplingFeeds(batch.map((g) => g.members[0] as number)),
        [IO.inputIds]: new Tensor('int64', ids, [k, width]),
        [IO.positionIds]: new Tensor('int64', positions, [k, width]),
        [IO.pastLengths]: new Tensor('int64', new BigInt64Array(k), [k]),
        [IO.logitRows]: new Tensor('int64', rows, [k]),
      },
      { ...kv.fetches, [IO.logits]: null, [IO.logsumexp]: null },
    );
    writeNew(
      out,
      batch.map((group, b) => ({ slot: first + b, at: 0, count: group.prompt.length })),
      width,
    );
    const logits = out[IO.logits]?.data as Float32Array;
    const lse = out[IO.logsumexp]?.data as Float32Array;
    const V = model.vocabSize;
    const done: FinishedSequence[] = [];
    let nextSlot = first + k;
    const heads: Running[] = [];
    const others: Running[] = [];
    batch.forEach((group, b) => {
      const row = logits.subarray(b * V, (b + 1) * V);
      group.members.forEach((seq, j) => {
        const draw = sampleToken({
          logits: row,
          temperature: params.temperature,
          topP: params.topP,
          topK: params.topK,
          u: u(seq),
          logsumexp: lse[b] as number,
        });
        const slot = j === 0 ? first + b : nextSlot++;
        if (j > 0) cache.copy({ from: first + b, to: slot, length: group.prompt.length });
        const entry = { seq, cached: group.prompt.length, next: draw.token };
        if (record(seq, draw)) done.push(finished(seq));
        (j === 0 ? heads : others).push(entry);
      });
    });
    // Slot order: running, then the heads, then the copied members; finished ones are freed next.
    running = [...running, ...heads, ...others];
    stats.prefillRuns += 1;
    stats.prefillMs += performance.now() - started;
    return done;
  };

  /** Frees the slots of finished sequences and compacts the running ones to the front. */
  const release = (done: readonly FinishedSequence[]) => {
    if (done.length === 0) return;
    const gone = new Set(done.map((d) => d.index));
    const freed = new Set(running.flatMap((r, slot) => (gone.has(r.seq) ? [slot] : [])));
    for (const { from, to } of compactionMoves({ count: running.length, freed })) {
      const moved = running[from] as Running;
      cache.copy({ from, to, length: moved.cached });
      running[to] = moved;
    }
    running = running.slice(0, running.length - freed.size);
  };

  let step = 0;
  while (running.length > 0 || waiting.length > 0) {
    const admitted = await admit();
    if (admitted !== undefined) {
      release(admitted);
      report({ step: step++, active: running.length, newTokens: stats.newTokens, finished: admitted });
    }
    if (running.length === 0) continue;
    stats.peakBatch = Math.max(stats.peakBatch, running.length);
    const longestCached = Math.max(...running.map((r) => r.cached));
    // Grow when the longest row fills the cache; shrink once it is far below (long ones have left).
    if (longestCached + 1 > cache.capacity || longestCached + 1 + 2 * CAPACITY_STEP < cache.capacity) {
      cache.resize({
        capacity: Math.min(needed, longestCached + 1 + CAPACITY_STEP),
        lengths: running.map((r) => r.cached),
      });
    }
    const started = performance.now();
    const n = running.length;
    const kv = cacheFeeds(0, n);
    const fetches: Record<string, null> =
      mode === 'graph'
        ? { [IO.token]: null, [IO.tokenLogprob]: null, [IO.samplingLogprob]: null }
        : mode === 'top-k'
          ? { [IO.topKValues]: null, [IO.topKIndices]: null, [IO.logsumexp]: null }
          : { [IO.logits]: null, [IO.logsumexp]: null };
    const out = await run(
      {
        ...kv.feeds,
        ...samplingFeeds(running.map((r) => r.seq)),
        [IO.inputIds]: new Tensor(
          'int64',
          BigInt64Array.from(running, (r) => BigInt(r.next)),
          [n, 1],
        ),
        [IO.positionIds]: new Tensor(
          'int64',
          BigInt64Array.from(running, (r) => BigInt(r.cached)),
          [n, 1],
        ),
        [IO.pastLengths]: new Tensor(
          'int64',
          BigInt64Array.from(running, (r) => BigInt(r.cached)),
          [n],
        ),
        [IO.logitRows]: new Tensor(
          'int64',
          BigInt64Array.from(running, (_, b) => BigInt(b)),
          [n],
        ),
      },
      { ...kv.fetches, ...fetches },
    );
    writeNew(
      out,
      running.map((r, slot) => ({ slot, at: r.cached, count: 1 })),
      1,
    );
    const done: FinishedSequence[] = [];
    running.forEach((r, b) => {
      const draw = drawFromOutputs({ out, b, mode, params, u: u(r.seq), vocab: model.vocabSize });
      r.cached += 1;
      r.next = draw.token;
      if (record(r.seq, draw)) done.push(finished(r.seq));
    });
    release(done);
    stats.decodeSteps += 1;
    stats.decodeMs += performance.now() - started;
    report({ step: step++, active: running.length, newTokens: stats.newTokens, finished: done });
  }
  return stats;
}

/** Row b's draw from a decode step's fetched outputs. */
function drawFromOutputs(options: {
  out: InferenceSession.ReturnType;
  b: number;
  mode: DrawMode;
  params: GenerateRequest['params'];
  u: number;
  vocab: number;
}): TokenDraw {
  const { out, b, params } = options;
  const data = (name: string) => out[name]?.data;
  if (options.mode === 'graph') {
    return {
      token: Number((data(IO.token) as BigInt64Array)[b]),
      logprob: (data(IO.tokenLogprob) as Float32Array)[b] as number,
      samplingLogprob: (data(IO.samplingLogprob) as Float32Array)[b] as number,
    };
  }
  const lse = (data(IO.logsumexp) as Float32Array)[b] as number;
  if (options.mode === 'top-k') {
    const k = Math.min(params.topK, options.vocab);
    return sampleCandidates({
      values: (data(IO.topKValues) as Float32Array).subarray(b * k, (b + 1) * k),
      ids: (data(IO.topKIndices) as BigInt64Array).subarray(b * k, (b + 1) * k),
      temperature: params.temperature,
      topP: params.topP,
      u: options.u,
      logsumexp: lse,
    });
  }
  const V = options.vocab;
  return sampleToken({
    logits: (data(IO.logits) as Float32Array).subarray(b * V, (b + 1) * V),
    temperature: params.temperature,
    topP: params.topP,
    topK: params.topK,
    u: options.u,
    logsumexp: lse,
  });
}

/** Generation stopped between steps because the caller cancelled it. */
export class GenerationCancelled extends Error {
  override name = 'GenerationCancelled';
}
