import type { LlamaConfig } from '../models/config.ts';
import { ValidationError } from '../util/errors.ts';
import { compileJsonSchema } from './constrain/json-schema-subset.ts';
import { EngineError } from './errors.ts';
import type {
  FinishedSequence,
  GenerationProgress,
  GenerationStats,
  OutputConstraint,
} from './generation/generation-types.ts';
import type { RemoteSession } from './host/session-host.ts';
import type { SamplingParams } from './sampling/sampling-params.ts';

/** One sequence's callbacks while it runs in an open generation. */
interface Pending {
  resolve: (sequence: FinishedSequence) => void;
  reject: (err: unknown) => void;
  onToken: ((token: number) => void) | undefined;
}

/**
 * A generation that takes sequences while it runs: each `add` joins the running batch at the next
 * step (continuous batching in the session worker, see generation/generation-loop.ts), streams its
 * tokens and resolves when it ends; an aborted signal drops it and frees its slot at the next
 * step. Made for serving requests; rollouts use `generateTokens`.
 *
 *   const open = OpenGeneration.start({ session, config, slots: 32, tokenTexts, stopIds });
 *   const done = await open.add({ prompt, params, onToken: (t) => ... });
 *   await open.end();
 */
export class OpenGeneration {
  private readonly pending = new Map<number, Pending>();
  private nextKey = 0;
  private peak = 0;
  private failure: unknown;
  private ending = false;
  private readonly paced: boolean;
  private stepsGranted = 0;
  private readonly stepWaiters: { at: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private readonly handle: ReturnType<RemoteSession['openGeneration']>;
  /** Resolves with the statistics once ended and drained; rejects if the generation failed. */
  readonly done: Promise<GenerationStats>;

  private constructor(
    session: RemoteSession,
    private readonly config: LlamaConfig,
    options: {
      slots: number;
      tokenTexts?: readonly (string | null)[];
      stopIds: readonly number[];
      paced?: boolean;
    },
  ) {
    this.paced = options.paced === true;
    this.handle = session.openGeneration({
      request: {
        slots: options.slots,
        model: {
          layers: config.numLayers,
          kvHeads: config.numKvHeads,
          headDim: config.headDim,
          vocabSize: config.vocabSize,
          contextLength: config.contextLength,
        },
        ...(options.tokenTexts === undefined ? {} : { tokenTexts: [...options.tokenTexts] }),
        stopIds: [...options.stopIds],
        ...(this.paced ? { paced: true } : {}),
      },
      onProgress: (progress) => this.onProgress(progress),
    });
    this.done = this.handle.done.then(
      (stats) => {
        for (const w of this.stepWaiters.splice(0)) w.resolve();
        return stats;
      },
      (err: unknown) => {
        this.failure = err;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        for (const w of this.stepWaiters.splice(0)) w.reject(err);
        throw err;
      },
    );
    // A failure reaches every sequence through `pending`; `done` itself may have no listener.
    this.done.catch(() => undefined);
  }

  /**
   * Starts one on a generation-graph session (LoRA bound). `tokenTexts` (see
   * constrain/token-texts.ts) enables constrained sequences; `stopIds` end a constrained document.
   * A `paced` one runs only the steps granted by `advance` (for tests that order events against
   * its steps).
   */
  static start(options: {
    session: RemoteSession;
    config: LlamaConfig;
    slots: number;
    tokenTexts?: readonly (string | null)[];
    stopIds: readonly number[];
    paced?: boolean;
  }): OpenGeneration {
    return new OpenGeneration(options.session, options.config, options);
  }

  /** False once it failed or was ended: `add` then refuses. */
  get accepting(): boolean {
    return this.failure === undefined && !this.ending;
  }

  /** Sequences added and not yet finished. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The most sequences that decoded together so far. */
  get peakBatch(): number {
    return this.peak;
  }

  /**
   * Adds a sequence; resolves with it once it ends (a stop id or its token limit). Refused at once
   * (ValidationError) when the prompt plus `maxNewTokens` exceeds the context or the constraint is
   * outside the supported JSON Schema subset. `stream` picks its random stream (default 0: the
   * same seed and prompt give the same tokens whatever else runs beside it).
   */
  add(options: {
    prompt: readonly number[];
    params: SamplingParams;
    stopIds: readonly number[];
    stream?: number;
    constraint?: OutputConstraint;
    onToken?: (token: number) => void;
    signal?: AbortSignal;
  }): Promise<FinishedSequence> {
    const { prompt, params, signal } = options;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ending) return Promise.reject(new EngineError('the generation is ending; no new sequences'));
    if (prompt.length === 0) return Promise.reject(new ValidationError('the prompt has no tokens'));
    const context = this.config.contextLength;
    if (prompt.length + params.maxNewTokens > context) {
      return Promise.reject(
        new ValidationError(
          `prompt (${prompt.length} tokens) + maxNewTokens (${params.maxNewTokens}) exceeds the model's context of ${context}`,
        ),
      );
    }
    try {
      if (options.constraint !== undefined) checkConstraint(options.constraint);
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const key = this.nextKey++;
    return new Promise<FinishedSequence>((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.delete(key)) return;
        this.handle.intake({ drop: [key] });
        reject(signal?.reason);
      };
      this.pending.set(key, {
        resolve: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
        onToken: options.onToken,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.handle.intake({
        add: [
          {
            key,
            prompt: [...prompt],
            stream: options.stream ?? 0,
            params: {
              temperature: params.temperature,
              topP: params.topP,
              topK: params.topK,
              seed: params.seed,
              maxNewTokens: params.maxNewTokens,
            },
            stopIds: [...(params.stopIds ?? options.stopIds)],
            ...(options.constraint === undefined ? {} : { constraint: options.constraint }),
          },
        ],
      });
    });
  }

  /**
   * A paced generation only: lets it run `steps` more steps (each admits what waits and draws one
   * token for every running sequence). Resolves once they ran and it waits (for steps, or idle for
   * sequences), or when it ends; steps granted while nothing runs wait for the next sequence.
   */
  advance(steps: number): Promise<void> {
    if (!this.paced) return Promise.reject(new EngineError('advance: the generation is not paced'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.stepsGranted += steps;
    const at = this.stepsGranted;
    return new Promise((resolve, reject) => {
      this.stepWaiters.push({ at, resolve, reject });
      this.handle.intake({ steps });
    });
  }

  /** Takes no more sequences; resolves with the statistics once the running ones are done. */
  end(): Promise<GenerationStats> {
    this.ending = true;
    this.handle.intake({ end: true });
    return this.done;
  }

  /** Stops at once: every running sequence rejects with `reason`. */
  cancel(reason: unknown): void {
    this.ending = true;
    this.handle.cancel(reason);
  }

  private onProgress(progress: GenerationProgress): void {
    const held = progress.held;
    if (held !== undefined) {
      const ran = this.stepWaiters.filter((w) => w.at <= held);
      this.stepWaiters.splice(0, this.stepWaiters.length, ...this.stepWaiters.filter((w) => w.at > held));
      for (const w of ran) w.resolve();
    }
    this.peak = Math.max(this.peak, progress.active + progress.finished.length);
    for (const { index, token } of progress.tokens ?? []) {
      const p = this.pending.get(index);
      try {
        p?.onToken?.(token);
      } catch (err) {
        // A failing listener fails its own sequence only (a throw here would stop the generation).
        this.pending.delete(index);
        this.handle.intake({ drop: [index] });
        p?.reject(err);
      }
    }
    for (const s of progress.finished) {
      const p = this.pending.get(s.index);
      this.pending.delete(s.index);
      p?.resolve(s);
    }
  }
}

/** Compiles a constraint's schema here too, so an unsupported one is refused before it is sent. */
function checkConstraint(constraint: OutputConstraint): void {
  if (constraint.type === 'json_schema') {
    compileJsonSchema({ schema: constraint.schema, path: 'response_format.json_schema.schema' });
  }
}
