import type { ExecutionProvider } from '../engine/host/protocol.ts';
import { Policy } from '../engine/policy.ts';
import { type TrainableKindName, trainableKindNamed } from '../engine/trainable.ts';
import type { LoraConfig } from '../models/llama/lora.ts';
import type { ArtifactStore } from '../store/store.ts';
import { readCheckpoint } from '../train/checkpoint-store.ts';
import { logger } from '../util/logger.ts';

const log = logger('policy-pool');

/** What an activity holds while it uses a policy. */
export interface PolicyLease {
  policy: Policy;
  /** Call before changing the adapters in place: if the activity fails, the next lease reloads. */
  modifying(): void;
  /** Call once the adapters in memory are committed as `checkpoint`, so the next lease can reuse them. */
  committed(checkpoint: string): void;
}

export interface PolicyRequest {
  /** Model file or folder (as the worker resolves it). */
  model: string;
  /** The adapters' settings, validated with the run configuration. */
  lora: LoraConfig;
  /** Seed of fresh adapters, used when `checkpoint` is null. */
  loraSeed: number;
  /** What the run trains (the configuration's `finetune.mode`); default LoRA. */
  finetune?: TrainableKindName;
  /** Stored checkpoint to load (`anchorage.checkpoint/1` address); null: fresh adapters. */
  checkpoint: string | null;
  store: ArtifactStore;
}

/**
 * Gives activities a policy with the adapters they ask for. One policy per model per worker process
 * (its ONNX sessions live in a worker thread, built once), lent to one activity at a time: the
 * rollout and trainer activities of an all-in-one worker, and of concurrent runs, share it in turn.
 */
export interface PolicyProvider {
  withPolicy<T>(request: PolicyRequest, use: (lease: PolicyLease) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

interface Entry {
  policy: Promise<Policy>;
  /** Tail of the queue of leases. */
  tail: Promise<void>;
  /** What is in memory: a checkpoint address or `init:<kind's init key>`; undefined: unknown. */
  loaded: string | undefined;
}

export function createPolicyPool(
  options: { threads?: number; executionProvider?: ExecutionProvider } = {},
): PolicyProvider {
  const entries = new Map<string, Entry>();

  const entryFor = (model: string): Entry => {
    let entry = entries.get(model);
    if (entry === undefined) {
      const policy = Policy.load({
        model,
        ...(options.threads === undefined ? {} : { threads: options.threads }),
        ...(options.executionProvider === undefined ? {} : { executionProvider: options.executionProvider }),
      });
      entry = { policy, tail: Promise.resolve(), loaded: undefined };
      // A model that fails to load is not kept: the next request tries again.
      policy.catch(() => entries.delete(model));
      entries.set(model, entry);
    }
    return entry;
  };

  async function prepare(entry: Entry, request: PolicyRequest): Promise<Policy> {
    const policy = await entry.policy;
    const { lora } = request;
    const kind = request.finetune ?? 'lora';
    const key =
      request.checkpoint ?? `init:${trainableKindNamed(kind).initKey({ lora, seed: request.loraSeed })}`;
    if (entry.loaded === key) return policy;
    entry.loaded = undefined;
    if (request.checkpoint === null) {
      policy.setTrainable(await policy.freshTrainable({ kind, lora, seed: request.loraSeed }));
      policy.optimizer = undefined;
      policy.step = 0;
    } else {
      const started = performance.now();
      const stored = await readCheckpoint({
        store: request.store,
        address: request.checkpoint,
        model: policy.config,
      });
      policy.setTrainable(stored.trainable);
      policy.optimizer = stored.optimizer;
      policy.step = stored.manifest.step;
      log.debug(
        {
          checkpoint: request.checkpoint,
          step: stored.record.step,
          ms: Math.round(performance.now() - started),
        },
        'checkpoint loaded',
      );
    }
    entry.loaded = key;
    return policy;
  }

  return {
    async withPolicy(request, use) {
      const entry = entryFor(request.model);
      let release!: () => void;
      const turn = entry.tail;
      entry.tail = new Promise<void>((r) => {
        release = r;
      });
      await turn;
      try {
        const policy = await prepare(entry, request);
        return await use({
          policy,
          modifying: () => {
            entry.loaded = undefined;
          },
          committed: (checkpoint) => {
            entry.loaded = checkpoint;
          },
        });
      } finally {
        release();
      }
    },
    async close() {
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(
        all.map(async (e) => {
          const policy = await e.policy.catch(() => undefined);
          await policy?.close();
        }),
      );
    },
  };
}
