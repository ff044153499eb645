import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { GENERATION_IO as IO } from '../../models/llama/generation-graph.ts';
import { NonFiniteError } from '../../rl/optim/non-finite.ts';
import { ValidationError } from '../../util/errors.ts';
import { maskLogits } from '../sampling/mask-logits.ts';
import { uniformAt } from '../sampling/prng.ts';
import { sampleToken, type TokenDraw } from '../sampling/sample-token.ts';
import { decodeFetches, drawFromOutputs } from './decode-draw.ts';
import { type DrawPlan, planDraws } from './draw-plan.ts';
import type {
  FinishedSequence,
  GenerateRequest,
  GenerationProgress,
  GenerationStats,
} from './generation-types.ts';
import { KvCache } from './kv-cache.ts';
import { compactionMoves, groupPrompts, type PromptGroup } from './prompt-groups.ts';
import type { SequenceIntake, SequenceSpec } from './sequence-intake.ts';

/** The largest float32 below 1: a uniform rounded to float32 must stay below 1. */
const BELOW_ONE = 1 - 2 ** -24;

/**
 * Positions a cache holds beyond what its rows need, and grows by when one fills up. Attention
 * reads every position of the buffers (masked beyond a row's length), so the capacity follows
 * the longest row instead of reserving the whole token limit at once.
 */
const CAPACITY_STEP = 128;

interface Running {
  /** Sequence index. */
  seq: number;
  /** Tokens in the slot's cache (prompt + generated, the last generated one not yet fed). */
  cached: number;
  /** The last drawn token, fed on the next step. */
  next: number;
}

/** A sequence taken in: its spec and what it has drawn so far. */
interface Live {
  spec: SequenceSpec;
  tokens: number[];
  logprobs: number[];
  samplingLogprobs: number[];
}

/**
 * The loop behind runGeneration (run-generation.ts) and open generations (a server's requests): sequences come from
 * `intake`, all at once or while it runs, each with its own sampling parameters and optional
 * constraint; dropped ones give their slot back at the next step. Returns when the intake has
 * ended and every sequence is done.
 */
export async function runBatched(options: {
  session: InferenceSession;
  bound: Record<string, Tensor>;
  model: GenerateRequest['model'];
  /** Sequences decoded together at most (the KV cache's rows). */
  slots: number;
  intake: SequenceIntake;
  report: (progress: GenerationProgress) => void;
  cancelled: () => string | undefined;
  /** Report every drawn token in the progress of its step (for streaming answers). */
  streamTokens: boolean;
}): Promise<GenerationStats> {
  const { session, bound, model, slots, intake, report } = options;
  const V = model.vocabSize;
  const live = new Map<number, Live>();
  let waiting: PromptGroup[] = [];
  let running: Running[] = [];
  let cacheOrNone: KvCache | undefined;
  /** The longest a sequence taken in so far can grow: the cache never needs more positions. */
  let needed = 0;
  let stepTokens: { index: number; token: number }[] = [];
  const stats: GenerationStats = {
    promptTokens: 0,
    prefillTokens: 0,
    newTokens: 0,
    prefillMs: 0,
    decodeMs: 0,
    decodeSteps: 0,
    prefillRuns: 0,
    runMs: 0,
    peakBatch: 0,
    cacheBytes: 0,
  };
  const cache = (): KvCache => {
    if (cacheOrNone === undefined) throw new Error('generation: no KV cache before the first sequence');
    return cacheOrNone;
  };
  const seqOf = (seq: number): Live => {
    const entry = live.get(seq);
    if (entry === undefined) throw new Error(`generation: no sequence ${seq}`);
    return entry;
  };
  const u = (seq: number) => {
    const { spec, tokens } = seqOf(seq);
    return uniformAt({ seed: spec.params.seed, stream: spec.stream, counter: tokens.length });
  };
  const maskScratch = new Float32Array(V);
  const allowedScratch = new Uint8Array(V);
  /** The row to draw from: the logits, or a copy with the constraint's forbidden tokens masked. */
  const drawRow = (spec: SequenceSpec, logits: Float32Array): Float32Array => {
    if (spec.constraint === undefined) return logits;
    spec.constraint.allowed(allowedScratch);
    return maskLogits({ logits, allowed: allowedScratch, out: maskScratch });
  };

  /** Takes in the sequences that arrived: they wait for a slot, grouped by prompt. */
  const takeNew = () => {
    const specs = intake.take();
    if (specs.length === 0) return;
    for (const spec of specs) {
      const need = spec.prompt.length + spec.params.maxNewTokens;
      if (need > model.contextLength) {
        throw new ValidationError(
          `prompt (${spec.prompt.length} tokens) + maxNewTokens (${spec.params.maxNewTokens}) exceeds the model's context of ${model.contextLength}`,
        );
      }
      if (live.has(spec.index))
        throw new ValidationError(`generation: sequence ${spec.index} was added twice`);
      live.set(spec.index, { spec, tokens: [], logprobs: [], samplingLogprobs: [] });
      needed = Math.max(needed, need);
      stats.promptTokens += spec.prompt.length;
    }
    const groups = groupPrompts({ prompts: specs.map((s) => s.prompt), maxMembers: slots });
    waiting.push(
      ...groups.map((g) => ({
        prompt: g.prompt,
        members: g.members.map((m) => (specs[m] as SequenceSpec).index),
      })),
    );
    if (cacheOrNone === undefined) {
      const longest = Math.max(...specs.map((s) => s.prompt.length));
      cacheOrNone = new KvCache(
        model.layers,
        slots,
        model.kvHeads,
        model.headDim,
        Math.min(needed, longest + CAPACITY_STEP),
      );
      stats.cacheBytes = cacheOrNone.bytes;
    }
  };

  /** Records a drawn token; true when the sequence is finished. */
  const record = (seq: number, draw: TokenDraw): boolean => {
    if (!Number.isFinite(draw.logprob)) throw new NonFiniteError(`sequence ${seq}: log-prob ${draw.logprob}`);
    const entry = seqOf(seq);
    entry.tokens.push(draw.token);
    entry.logprobs.push(draw.logprob);
    entry.samplingLogprobs.push(draw.samplingLogprob);
    entry.spec.constraint?.advance(draw.token);
    stats.newTokens += 1;
    if (options.streamTokens) stepTokens.push({ index: seq, token: draw.token });
    return entry.spec.stops.has(draw.token) || entry.tokens.length >= entry.spec.params.maxNewTokens;
  };
  /** A finished sequence's result; it leaves the live set. */
  const finished = (seq: number): FinishedSequence => {
    const { spec, tokens, logprobs, samplingLogprobs } = seqOf(seq);
    live.delete(seq);
    return {
      index: seq,
      tokenIds: tokens,
      logprobs,
      samplingLogprobs,
      finishReason: spec.stops.has(tokens[tokens.length - 1] as number) ? 'stop' : 'length',
    };
  };
  const progress = (finishedNow: FinishedSequence[], step: number): GenerationProgress => {
    const out: GenerationProgress = {
      step,
      active: running.length,
      newTokens: stats.newTokens,
      finished: finishedNow,
    };
    if (options.streamTokens) {
      out.tokens = stepTokens;
      stepTokens = [];
    }
    return out;
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
    const views = cache().tensors(start, count);
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
        cache().write({ layer: l, slot: r.slot, at: r.at, newKey, newValue, row, width, count: r.count });
      });
    }
  };
  const samplingFeeds = (rows: readonly number[], plan: DrawPlan) => ({
    [IO.invTemperature]: new Tensor('float32', Float32Array.of(plan.greedy ? 1 : 1 / plan.temperature), []),
    [IO.greedy]: new Tensor('bool', Uint8Array.of(plan.greedy ? 1 : 0), []),
    [IO.uniform]: new Tensor(
      'float32',
      Float32Array.from(rows, (seq) =>
        seqOf(seq).spec.params.temperature === 0 ? 0 : Math.min(u(seq), BELOW_ONE),
      ),
      [rows.length],
    ),
    [IO.topK]: new Tensor('int64', BigInt64Array.of(BigInt(plan.topK)), [1]),
  });
  const rowPlan = (seqs: readonly number[]) =>
    planDraws({
      rows: seqs.map((seq) => {
        const { spec } = seqOf(seq);
        return { params: spec.params, constrained: spec.constraint !== undefined };
      }),
      vocabSize: V,
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
    if (width > cache().capacity) {
      cache().resize({
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
    const heads = batch.map((g) => g.members[0] as number);
    const out = await run(
      {
        ...kv.feeds,
        ...samplingFeeds(heads, rowPlan(heads)),
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
    const done: FinishedSequence[] = [];
    let nextSlot = first + k;
    const headRows: Running[] = [];
    const others: Running[] = [];
    batch.forEach((group, b) => {
      const row = logits.subarray(b * V, (b + 1) * V);
      group.members.forEach((seq, j) => {
        const { spec } = seqOf(seq);
        const draw = sampleToken({
          logits: drawRow(spec, row),
          temperature: spec.params.temperature,
          topP: spec.params.topP,
          topK: spec.params.topK,
          u: u(seq),
          logsumexp: lse[b] as number,
        });
        const slot = j === 0 ? first + b : nextSlot++;
        if (j > 0) cache().copy({ from: first + b, to: slot, length: group.prompt.length });
        const entry = { seq, cached: group.prompt.length, next: draw.token };
        if (record(seq, draw)) done.push(finished(seq));
        (j === 0 ? headRows : others).push(entry);
      });
    });
    // Slot order: running, then the heads, then the copied members; finished ones are freed next.
    running = [...running, ...headRows, ...others];
    stats.prefillRuns += 1;
    stats.prefillMs += performance.now() - started;
    return done;
  };

  /** Frees the slots of these sequences and compacts the running ones to the front. */
  const release = (gone: ReadonlySet<number>) => {
    if (gone.size === 0) return;
    const freed = new Set(running.flatMap((r, slot) => (gone.has(r.seq) ? [slot] : [])));
    for (const { from, to } of compactionMoves({ count: running.length, freed })) {
      const moved = running[from] as Running;
      cache().copy({ from, to, length: moved.cached });
      running[to] = moved;
    }
    running = running.slice(0, running.length - freed.size);
  };
  const indices = (done: readonly FinishedSequence[]) => new Set(done.map((d) => d.index));

  /** Drops the sequences the intake gave up on, waiting or running; they are not reported. */
  const dropGone = () => {
    const gone = new Set(intake.dropped().filter((seq) => live.has(seq)));
    if (gone.size === 0) return;
    for (const seq of gone) live.delete(seq);
    waiting = waiting
      .map((g) => ({ prompt: g.prompt, members: g.members.filter((m) => !gone.has(m)) }))
      .filter((g) => g.members.length > 0);
    release(gone);
  };

  let step = 0;
  takeNew();
  for (;;) {
    dropGone();
    if (running.length === 0 && waiting.length === 0) {
      if (intake.ended) break;
      // Idle: give the cache's memory back until the next sequence arrives.
      if (cacheOrNone !== undefined && cacheOrNone.capacity > CAPACITY_STEP) {
        cacheOrNone.resize({ capacity: CAPACITY_STEP, lengths: [] });
      }
      // A paced generation waits here too: the steps granted so far have run.
      const held = intake.pacedSteps;
      if (held !== undefined) report({ step, active: 0, newTokens: stats.newTokens, finished: [], held });
      await intake.arrival();
      const reason = options.cancelled();
      if (reason !== undefined) throw new GenerationCancelled(reason);
      takeNew();
      continue;
    }
    const waited = await intake.nextStep((stepsRun) =>
      report({ step, active: running.length, newTokens: stats.newTokens, finished: [], held: stepsRun }),
    );
    if (waited) {
      const reason = options.cancelled();
      if (reason !== undefined) throw new GenerationCancelled(reason);
      dropGone();
      takeNew();
      if (running.length === 0 && waiting.length === 0) continue;
    }
    const admitted = await admit();
    if (admitted !== undefined) {
      release(indices(admitted));
      report(progress(admitted, step++));
    }
    if (running.length === 0) continue;
    stats.peakBatch = Math.max(stats.peakBatch, running.length);
    const longestCached = Math.max(...running.map((r) => r.cached));
    // Grow when the longest row fills the cache; shrink once it is far below (long ones have left).
    const capacity = cache().capacity;
    if (longestCached + 1 > capacity || longestCached + 1 + 2 * CAPACITY_STEP < capacity) {
      cache().resize({
        capacity: Math.min(needed, longestCached + 1 + CAPACITY_STEP),
        lengths: running.map((r) => r.cached),
      });
    }
    const started = performance.now();
    const n = running.length;
    const kv = cacheFeeds(0, n);
    const seqs = running.map((r) => r.seq);
    const plan = rowPlan(seqs);
    const out = await run(
      {
        ...kv.feeds,
        ...samplingFeeds(seqs, plan),
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
      { ...kv.fetches, ...decodeFetches(plan) },
    );
    writeNew(
      out,
      running.map((r, slot) => ({ slot, at: r.cached, count: 1 })),
      1,
    );
    const done: FinishedSequence[] = [];
    running.forEach((r, b) => {
      const { spec } = seqOf(r.seq);
      const draw = drawFromOutputs(out, {
        b,
        plan,
        params: spec.params,
        u: u(r.seq),
        vocab: V,
        row: drawRow.bind(null, spec),
      });
      r.cached += 1;
      r.next = draw.token;
      if (record(r.seq, draw)) done.push(finished(r.seq));
    });
    release(indices(done));
    stats.decodeSteps += 1;
    stats.decodeMs += performance.now() - started;
    report(progress(done, step++));
    takeNew();
  }
  return stats;
}

/** Generation stopped between steps because the caller cancelled it. */
export class GenerationCancelled extends Error {
  override name = 'GenerationCancelled';
}
