import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import { fromOrt, toOrt } from '../../graph/runtime.ts';
import type { HostTensor } from '../../graph/tensor.ts';
import { AnchorageError, ValidationError } from '../../util/errors.ts';
import { GenerationCancelled, runBatched } from '../generation/generation-loop.ts';
import { OpenSequences } from '../generation/open-sequences.ts';
import { runGeneration } from '../generation/run-generation.ts';
import { OpenIntake } from '../generation/sequence-intake.ts';
import { type ErrorPayload, type Request, RequestSchema, type Response, transferable } from './protocol.ts';

/**
 * The worker side of a session host: owns ONNX Runtime sessions and runs them, so the blocking
 * `session.run` happens off the main thread. Requests are handled one at a time in arrival order;
 * a failing request answers with its error and leaves the worker serving.
 */

interface HostedSession {
  session: InferenceSession;
  /** Inputs bound once and fed on every run (converted to ORT tensors once, zero-copy on CPU). */
  bound: Record<string, Tensor>;
}

const port = parentPort;
if (port === null) throw new Error('session-host-worker must run in a worker thread');

const sessions = new Map<string, HostedSession>();
let queue: Promise<void> = Promise.resolve();
/** Cancellations of generations, by request id: the reason, read between steps. */
const cancellations = new Map<number, string>();
/** The intakes of running open generations, by request id. */
const intakes = new Map<number, { intake: OpenIntake; sequences: OpenSequences }>();

port.on('message', (raw: unknown) => {
  // Cancellations and intakes must reach a generation that is running, so they skip the queue.
  const outOfTurn = RequestSchema.safeParse(raw);
  if (outOfTurn.success && outOfTurn.data.kind === 'cancel') {
    cancellations.set(outOfTurn.data.target, outOfTurn.data.reason);
    intakes.get(outOfTurn.data.target)?.intake.end(); // wakes an idle open generation to stop
    return;
  }
  if (outOfTurn.success && outOfTurn.data.kind === 'intake') {
    handleIntake(outOfTurn.data);
    return;
  }
  // An open generation's intake exists from its arrival: intake messages may come before its turn.
  if (outOfTurn.success && outOfTurn.data.kind === 'generate-open') {
    const request = outOfTurn.data;
    intakes.set(request.id, {
      intake: new OpenIntake({ paced: request.generation.paced === true }),
      sequences: new OpenSequences(request.generation),
    });
  }
  // Serialise: ORT sessions are not run concurrently on one thread, and replies keep request order.
  queue = queue.then(() => handle(raw));
});

async function handle(raw: unknown): Promise<void> {
  const parsed = RequestSchema.safeParse(raw);
  const id = typeof raw === 'object' && raw !== null && 'id' in raw ? Number(raw.id) : -1;
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    reply({
      kind: 'error',
      id,
      error: {
        name: 'ValidationError',
        message: `session host: malformed request at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        retryable: false,
      },
    });
    return;
  }
  const request = parsed.data;
  try {
    await dispatch(request);
  } catch (err) {
    reply({ kind: 'error', id: request.id, error: errorPayload(err) });
  }
}

async function dispatch(request: Request): Promise<void> {
  switch (request.kind) {
    case 'create': {
      if (sessions.has(request.session)) throw new Error(`session '${request.session}' already exists`);
      const session = await createSession(request);
      sessions.set(request.session, { session, bound: {} });
      // The model bytes (a copy of every weight) are garbage now; collect them before the first run
      // allocates its activations, instead of whenever V8 next looks.
      collectGarbage();
      reply({
        kind: 'created',
        id: request.id,
        info: { inputNames: [...session.inputNames], outputNames: [...session.outputNames] },
      });
      return;
    }
    case 'bind': {
      const hosted = lookup(request.session);
      for (const [name, t] of Object.entries(request.feeds)) hosted.bound[name] = toOrt(t);
      reply({ kind: 'done', id: request.id });
      return;
    }
    case 'run': {
      const hosted = lookup(request.session);
      const feeds: Record<string, Tensor> = { ...hosted.bound };
      for (const [name, t] of Object.entries(request.feeds)) feeds[name] = toOrt(t);
      const started = performance.now();
      const result =
        request.fetches === undefined
          ? await hosted.session.run(feeds)
          : await hosted.session.run(feeds, request.fetches);
      const runMs = performance.now() - started;
      const outputs: Record<string, HostTensor> = {};
      for (const [name, t] of Object.entries(result)) outputs[name] = fromOrt(t as Tensor);
      const moved = transferable(outputs);
      reply({ kind: 'outputs', id: request.id, outputs: moved.tensors, runMs }, moved.buffers);
      return;
    }
    case 'generate': {
      const hosted = lookup(request.session);
      try {
        const stats = await runGeneration({
          session: hosted.session,
          bound: hosted.bound,
          request: request.generation,
          report: (progress) => reply({ kind: 'progress', id: request.id, progress }),
          cancelled: () => cancellations.get(request.id),
        });
        reply({ kind: 'generated', id: request.id, stats });
      } finally {
        cancellations.delete(request.id);
      }
      return;
    }
    case 'generate-open': {
      const intake =
        intakes.get(request.id)?.intake ?? new OpenIntake({ paced: request.generation.paced === true });
      try {
        const hosted = lookup(request.session);
        const stats = await runBatched({
          session: hosted.session,
          bound: hosted.bound,
          model: request.generation.model,
          slots: request.generation.slots,
          intake,
          report: (progress) => reply({ kind: 'progress', id: request.id, progress }),
          cancelled: () => cancellations.get(request.id),
          streamTokens: true,
        });
        reply({ kind: 'generated', id: request.id, stats });
      } finally {
        intakes.delete(request.id);
        cancellations.delete(request.id);
      }
      return;
    }
    case 'cancel':
    case 'intake':
      return; // handled on arrival
    case 'release': {
      const hosted = lookup(request.session);
      sessions.delete(request.session);
      await hosted.session.release();
      reply({ kind: 'done', id: request.id });
      return;
    }
    case 'close': {
      for (const hosted of sessions.values()) await hosted.session.release();
      sessions.clear();
      reply({ kind: 'done', id: request.id });
      // Nothing else keeps the thread alive once the port stops listening: the worker exits cleanly.
      port?.close();
      return;
    }
  }
}

/**
 * Passes an intake message to its open generation. A sequence that cannot be turned into a spec
 * (the main thread checks them first, so this is a bug) stops the whole generation with the error.
 */
function handleIntake(request: Extract<Request, { kind: 'intake' }>): void {
  const open = intakes.get(request.target);
  if (open === undefined) return; // the generation has ended; its caller knows
  try {
    open.intake.add(request.intake.add.map((s) => open.sequences.spec(s)));
  } catch (err) {
    cancellations.set(request.target, `intake refused: ${(err as Error).message}`);
    open.intake.end();
    return;
  }
  if (request.intake.drop.length > 0) open.intake.drop(request.intake.drop);
  if (request.intake.steps > 0) open.intake.grant(request.intake.steps);
  if (request.intake.end) open.intake.end();
}

type CreateRequest = Extract<Request, { kind: 'create' }>;

async function createSession(request: CreateRequest): Promise<InferenceSession> {
  const options: InferenceSession.SessionOptions = {
    intraOpNumThreads: request.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: request.optimization,
    enableMemPattern: request.memoryPattern,
    enableCpuMemArena: request.memoryArena,
    // CUDA runs what it supports; ORT places the rest on the CPU.
    executionProviders: request.executionProvider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    ...(request.external === undefined
      ? {}
      : { externalData: [{ path: request.external.path, data: request.external.data }] }),
  };
  try {
    return await InferenceSession.create(request.model, options);
  } catch (err) {
    if (request.executionProvider !== 'cuda' || !/Cuda|CUDA|shared library/.test(String(err))) throw err;
    throw new ValidationError(
      `execution provider 'cuda': ONNX Runtime could not load its CUDA provider (${(err as Error).message}). ` +
        'Install onnxruntime-node with its CUDA libraries (build the worker image with ANCHORAGE_ORT_CUDA=1, or ' +
        'drop onnxruntime-node-install=skip from .npmrc on a machine with network access and CUDA 12), or use cpu.',
    );
  }
}

/** A full collection on this thread (V8's gc, exposed once for this purpose). */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function lookup(name: string): HostedSession {
  const hosted = sessions.get(name);
  if (hosted === undefined) {
    throw new Error(`no session '${name}' (open: ${[...sessions.keys()].join(', ') || 'none'})`);
  }
  return hosted;
}

function reply(response: Response, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(response, transfer);
}

function errorPayload(err: unknown): ErrorPayload {
  if (err instanceof Error) {
    return {
      name: err.name,
      message: err.message,
      ...(err.stack === undefined ? {} : { stack: err.stack }),
      retryable: err instanceof AnchorageError ? err.retryable : err instanceof GenerationCancelled,
    };
  }
  return { name: 'Error', message: String(err), retryable: false };
}
