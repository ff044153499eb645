import { Worker } from 'node:worker_threads';
import { concatExternal, type EmittedModel } from '../../graph/onnx/model.ts';
import type { HostTensor } from '../../graph/tensor.ts';
import { ValidationError } from '../../util/errors.ts';
import { logger } from '../../util/logger.ts';
import { EngineError } from '../errors.ts';
import type {
  FinishedSequence,
  GenerateRequest,
  GenerationProgress,
  GenerationStats,
  Intake,
  OpenGenerationRequest,
} from '../generation/generation-types.ts';
import {
  type ErrorPayload,
  type ExecutionProvider,
  type Request,
  type Response,
  ResponseSchema,
  type SessionInfo,
  transferable,
} from './protocol.ts';

/**
 * The main-thread side of a session host: one worker thread that owns ONNX Runtime sessions.
 * `session.run` blocks the thread it runs on for the whole computation; here that thread is the
 * worker, so the main event loop (Temporal heartbeats, polls) keeps turning.
 *
 *   const host = await SessionHost.start();
 *   const session = await host.createSession({ model: emitModel({ graph }) });
 *   const { outputs } = await session.run({ feeds: { x } });
 *   await host.close();
 */

/**
 * Intra-op threads per session unless told otherwise: one, so that several processes on a machine
 * (a worker per queue, tests) do not oversubscribe its cores. A process that owns the machine should
 * ask for more: with the KV cache kept in the worker, two threads ran SmolLM2 rollouts 1.6x and
 * training steps 1.7x faster than one on a 2-core machine (`anchorage bench rollout|train --threads`).
 */
export const DEFAULT_THREADS = 1;

const log = logger('session-host');

/** How a host runs its sessions. */
export interface HostOptions {
  threads?: number;
  executionProvider?: ExecutionProvider;
}

type Pending = {
  resolve: (r: Response) => void;
  reject: (e: Error) => void;
  /** Messages of a request that answers in several (generation progress). */
  onProgress?: (progress: GenerationProgress) => void;
};

export class SessionHost {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextSession = 1;
  private exited = false;
  private failure: Error | undefined;
  private readonly exitPromise: Promise<number>;

  private constructor(
    private readonly worker: Worker,
    readonly threads: number,
    readonly executionProvider: ExecutionProvider,
  ) {
    worker.on('message', (raw: unknown) => this.onMessage(raw));
    worker.on('error', (err) =>
      this.failAll(
        new EngineError(`session host worker failed: ${err.message}`, { retryable: true, cause: err }),
      ),
    );
    this.exitPromise = new Promise((resolve) => {
      worker.on('exit', (code) => {
        this.exited = true;
        this.failAll(new EngineError(`session host worker exited (code ${code})`, { retryable: true }));
        resolve(code);
      });
    });
  }

  /**
   * Starts the worker thread. `threads` is the default intra-op thread count of its sessions;
   * `executionProvider` where they run (default 'cpu').
   */
  static async start(options: HostOptions = {}): Promise<SessionHost> {
    const threads = options.threads ?? DEFAULT_THREADS;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new ValidationError(`threads: expected an integer >= 1, got ${threads}`);
    }
    const worker = new Worker(new URL('./session-host-worker.mjs', import.meta.url), { execArgv: [] });
    const host = new SessionHost(worker, threads, options.executionProvider ?? 'cpu');
    await new Promise<void>((resolve, reject) => {
      worker.once('online', () => resolve());
      worker.once('error', reject);
    });
    return host;
  }

  /**
   * Loads an emitted model into a new session. The model bytes are copied to the worker unless
   * `transfer` is set, which moves them (the caller's `model.model` is detached afterwards).
   */
  async createSession(options: {
    model: EmittedModel;
    threads?: number;
    optimization?: 'disabled' | 'basic' | 'extended' | 'all';
    /** ORT's memory pattern (default off: our sessions see changing shapes; see the protocol). */
    memoryPattern?: boolean;
    /** ORT's CPU memory arena (default on). */
    memoryArena?: boolean;
    transfer?: boolean;
    name?: string;
  }): Promise<RemoteSession> {
    const name = options.name ?? `s${this.nextSession++}`;
    let model = options.model.model;
    const buffers: ArrayBuffer[] = [];
    if (options.transfer === true) {
      const moved = transferable({ m: { dtype: 'bool', dims: [model.length], data: model } });
      model = moved.tensors['m']?.data as Uint8Array;
      buffers.push(...moved.buffers);
    }
    const ext = options.model.external;
    const external = ext === undefined ? undefined : { path: ext.location, data: concatExternal(ext) };
    if (external !== undefined) buffers.push(external.data.buffer as ArrayBuffer);
    const response = await this.request(
      {
        kind: 'create',
        id: 0,
        session: name,
        model,
        ...(external === undefined ? {} : { external }),
        threads: options.threads ?? this.threads,
        optimization: options.optimization ?? (options.model.usesFloat64 ? 'basic' : 'all'),
        memoryPattern: options.memoryPattern ?? false,
        memoryArena: options.memoryArena ?? true,
        executionProvider: this.executionProvider,
      },
      buffers,
    );
    if (response.kind !== 'created') throw unexpected(response);
    return new RemoteSession(this, name, response.info);
  }

  /** False once the worker has exited or failed: every request is then refused. */
  get alive(): boolean {
    return !this.exited && this.failure === undefined;
  }

  /** Releases every session and ends the worker; resolves when the thread has exited. */
  async close(): Promise<void> {
    if (this.exited) return;
    try {
      await this.request({ kind: 'close', id: 0 });
    } catch (err) {
      log.warn({ err }, 'session host did not close cleanly; terminating');
      await this.worker.terminate();
    }
    await this.exitPromise;
  }

  /**
   * Sends a request and waits for its response (internal; used by RemoteSession). `onProgress`
   * receives a generation's progress messages; `onSent` learns the request's id (to cancel it).
   */
  request(
    request: Request,
    transfer: ArrayBuffer[] = [],
    options: { onProgress?: (progress: GenerationProgress) => void; onSent?: (id: number) => void } = {},
  ): Promise<Response> {
    if (this.exited || this.failure !== undefined) {
      return Promise.reject(
        this.failure ?? new EngineError('session host worker has exited', { retryable: true }),
      );
    }
    const id = this.nextId++;
    options.onSent?.(id);
    return new Promise<Response>((resolve, reject) => {
      this.pending.set(id, {
        resolve,
        reject,
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      });
      try {
        this.worker.postMessage({ ...request, id }, transfer);
      } catch (err) {
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  private onMessage(raw: unknown): void {
    const parsed = ResponseSchema.safeParse(raw);
    if (!parsed.success) {
      this.failAll(new EngineError(`session host sent a malformed response: ${parsed.error.message}`));
      return;
    }
    const response = parsed.data;
    const pending = this.pending.get(response.id);
    if (pending === undefined) return;
    if (response.kind === 'progress') {
      try {
        pending.onProgress?.(response.progress);
      } catch (err) {
        // A failing listener fails its request (the worker's later messages are then ignored).
        this.cancel(response.id, err);
      }
      return;
    }
    this.pending.delete(response.id);
    if (response.kind === 'error') pending.reject(remoteError(response.error));
    else pending.resolve(response);
  }

  /**
   * Gives up on request `target` now: it rejects with `reason`, later messages for it are ignored,
   * and the worker is asked to stop it (a generation stops before its next step).
   */
  cancel(target: number, reason: unknown): void {
    const pending = this.pending.get(target);
    this.pending.delete(target);
    pending?.reject(reason instanceof Error ? reason : new EngineError(String(reason)));
    if (!this.exited)
      this.worker.postMessage({ kind: 'cancel', id: this.nextId++, target, reason: String(reason) });
  }

  /** Sends an intake message to open generation `target` (handled by the worker out of turn). */
  intake(target: number, intake: Intake): void {
    if (this.exited || this.failure !== undefined) return;
    this.worker.postMessage({ kind: 'intake', id: this.nextId++, target, intake });
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** A session living in a host's worker. */
export class RemoteSession {
  constructor(
    private readonly host: SessionHost,
    readonly name: string,
    readonly info: SessionInfo,
  ) {}

  get inputNames(): readonly string[] {
    return this.info.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.info.outputNames;
  }

  /**
   * Keeps these inputs in the worker and feeds them on every run (a run's own feeds take
   * precedence). Made for weights passed as inputs, e.g. LoRA matrices during generation: they
   * cross the thread boundary once instead of on every decode step. Copied unless `transfer`.
   */
  async bind(options: { feeds: Record<string, HostTensor>; transfer?: boolean }): Promise<void> {
    const { tensors, buffers } =
      options.transfer === true ? transferable(options.feeds) : noTransfer(options.feeds);
    const response = await this.host.request(
      { kind: 'bind', id: 0, session: this.name, feeds: tensors },
      buffers,
    );
    if (response.kind !== 'done') throw unexpected(response);
  }

  /**
   * Runs the session. Feed buffers are copied unless `transfer` is set (then they are moved and
   * the caller's arrays are detached); outputs are always moved back. `runMs` is the time inside
   * ONNX Runtime.
   */
  async run(options: {
    feeds: Record<string, HostTensor>;
    fetches?: readonly string[];
    /** true moves every feed; a list moves only the feeds it names. */
    transfer?: boolean | readonly string[];
  }): Promise<{ outputs: Record<string, HostTensor>; runMs: number }> {
    const { tensors, buffers } = splitTransfer(options.feeds, options.transfer);
    const response = await this.host.request(
      {
        kind: 'run',
        id: 0,
        session: this.name,
        feeds: tensors,
        ...(options.fetches === undefined ? {} : { fetches: [...options.fetches] }),
      },
      buffers,
    );
    if (response.kind !== 'outputs') throw unexpected(response);
    return { outputs: response.outputs, runMs: response.runMs };
  }

  /**
   * Generates continuations with a generation-graph session, in the worker (see runGeneration).
   * `onFinished` receives each sequence as soon as it ends. An aborted `signal` rejects at once
   * with the signal's reason (no progress is reported after it) and stops the worker before its
   * next step.
   */
  async generate(options: {
    request: GenerateRequest;
    onStep?: (progress: { step: number; active: number; newTokens: number }) => void;
    onFinished?: (sequence: FinishedSequence) => void;
    signal?: AbortSignal;
  }): Promise<{ sequences: FinishedSequence[]; stats: GenerationStats }> {
    const { signal } = options;
    signal?.throwIfAborted();
    const sequences: FinishedSequence[] = [];
    let requestId: number | undefined;
    const onAbort = () => {
      if (requestId !== undefined) this.host.cancel(requestId, signal?.reason ?? 'aborted');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.host.request(
        { kind: 'generate', id: 0, session: this.name, generation: options.request },
        [],
        {
          onSent: (id) => {
            requestId = id;
          },
          onProgress: (progress) => {
            for (const s of progress.finished) {
              sequences[s.index] = s;
              options.onFinished?.(s);
            }
            options.onStep?.(progress);
          },
        },
      );
      if (response.kind !== 'generated') throw unexpected(response);
      return { sequences, stats: response.stats };
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Starts an open generation with a generation-graph session (see runBatched): sequences are
   * added and dropped with `intake` while it runs, `onProgress` sees every step (with the tokens
   * drawn in it), and `done` resolves with the statistics once an intake has ended it and every
   * sequence is done. `cancel` stops it before its next step; `done` then rejects with the reason.
   */
  openGeneration(options: {
    request: OpenGenerationRequest;
    onProgress: (progress: GenerationProgress) => void;
  }): {
    intake: (intake: Intake) => void;
    cancel: (reason: unknown) => void;
    done: Promise<GenerationStats>;
  } {
    let requestId = -1;
    const response = this.host.request(
      { kind: 'generate-open', id: 0, session: this.name, generation: options.request },
      [],
      {
        onSent: (id) => {
          requestId = id;
        },
        onProgress: options.onProgress,
      },
    );
    const done = response.then((r) => {
      if (r.kind !== 'generated') throw unexpected(r);
      return r.stats;
    });
    return {
      intake: (intake) => this.host.intake(requestId, intake),
      cancel: (reason) => this.host.cancel(requestId, reason),
      done,
    };
  }

  async release(): Promise<void> {
    const response = await this.host.request({ kind: 'release', id: 0, session: this.name });
    if (response.kind !== 'done') throw unexpected(response);
  }
}

function noTransfer(tensors: Record<string, HostTensor>) {
  return { tensors, buffers: [] as ArrayBuffer[] };
}

function splitTransfer(feeds: Record<string, HostTensor>, transfer: boolean | readonly string[] | undefined) {
  if (transfer === undefined || transfer === false) return noTransfer(feeds);
  if (transfer === true) return transferable(feeds);
  const names = new Set(transfer);
  const moved = transferable(Object.fromEntries(Object.entries(feeds).filter(([k]) => names.has(k))));
  return { tensors: { ...feeds, ...moved.tensors }, buffers: moved.buffers };
}

function unexpected(response: Response): Error {
  return new EngineError(`session host answered '${response.kind}' out of turn`);
}

/** Rebuilds a worker-side error on the main thread, keeping its class name and message. */
function remoteError(payload: ErrorPayload): Error {
  const err =
    payload.name === 'ValidationError'
      ? new ValidationError(payload.message)
      : new EngineError(payload.message, { retryable: payload.retryable });
  if (payload.stack !== undefined)
    err.stack = `${err.name}: ${payload.message}\n    [worker] ${payload.stack}`;
  return err;
}
