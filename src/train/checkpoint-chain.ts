import { ADAPTER_FILE } from '../engine/checkpoint.ts';
import { openModel } from '../engine/model-files.ts';
import { listCheckpoints } from '../store/run-refs.ts';
import type { ArtifactStore } from '../store/store.ts';
import { AnchorageError } from '../util/errors.ts';
import { readCheckpoint, type StoredCheckpoint } from './checkpoint-store.ts';

/**
 * A run's checkpoints as a chain: one per step 1..n, each trained from the one before (`parent`), a
 * hash chain over the weights (the update of step n started from exactly step n-1's adapters:
 * `trainedFrom`; an update that applied nothing kept them), and the optimizer step count growing by
 * exactly one per applied update. What the crash tests and the chaos benchmark
 * (workers/chaos/) check after killing workers.
 */

/** One checkpoint, reduced to what the chain is checked on. */
export interface ChainLink {
  step: number;
  /** The checkpoint record's address (the ref `checkpoints/step-<n>`). */
  address: string;
  /** The checkpoint it records as trained from; null: fresh adapters. */
  parent: string | null;
  /** The adapter file the update started from; undefined in records written before it existed. */
  trainedFrom: string | undefined;
  /** Its own adapter file. */
  adapter: string;
  /** Whether the update changed the weights. */
  applied: boolean;
  optimizerSteps: number;
  /** The attempt of the update activity that wrote it (1: the first; more: the update was redone). */
  updateAttempt: number;
}

export type ChainFaultKind =
  /** A step of 1..n without a checkpoint (or, with `steps`, one of 1..steps missing at the end). */
  | 'missing-step'
  /** The recorded parent is not the previous step's checkpoint. */
  | 'parent'
  /** No `trainedFrom`: the weights the update started from are unknown. */
  | 'no-trained-from'
  /** Trained from other weights than the previous step's adapters: an update applied twice or lost. */
  | 'trained-from'
  /** The optimizer step count did not grow by exactly the updates applied. */
  | 'optimizer-steps'
  /** No update applied, yet the adapters changed. */
  | 'adapters-changed';

export interface ChainFault {
  step: number;
  kind: ChainFaultKind;
  message: string;
}

/** Faults that mean an update was applied twice, to the wrong weights, or counted wrong. */
export const DOUBLED_UPDATE_FAULTS: readonly ChainFaultKind[] = [
  'parent',
  'trained-from',
  'optimizer-steps',
  'adapters-changed',
];

/**
 * Every fault of a chain, in step order (pure). `links` in step order; with `steps`, the steps of
 * 1..steps that have no checkpoint count as missing too. The first link's `trainedFrom` is not
 * checked: it names the run's initial adapters.
 */
export function chainFaults(links: readonly ChainLink[], options: { steps?: number } = {}): ChainFault[] {
  const faults: ChainFault[] = [];
  const have = new Set(links.map((l) => l.step));
  const last = Math.max(options.steps ?? 0, ...links.map((l) => l.step));
  for (let step = 1; step <= last; step++) {
    if (!have.has(step)) {
      faults.push({
        step,
        kind: 'missing-step',
        message: `no checkpoint for step ${step}: checkpoint steps are ${links.map((l) => l.step).join(',') || 'none'}, expected 1..${last}`,
      });
    }
  }
  let previous: ChainLink | undefined;
  let optimizerSteps = 0;
  for (const link of links) {
    const parent = previous?.address ?? null;
    if (link.parent !== parent) {
      faults.push({
        step: link.step,
        kind: 'parent',
        message: `checkpoint ${link.step} has parent ${link.parent}, expected ${parent}`,
      });
    }
    const expected = optimizerSteps + (link.applied ? 1 : 0);
    if (link.optimizerSteps !== expected) {
      faults.push({
        step: link.step,
        kind: 'optimizer-steps',
        message: `checkpoint ${link.step}: ${link.optimizerSteps} optimizer steps, expected ${expected}`,
      });
    }
    if (link.trainedFrom === undefined) {
      faults.push({
        step: link.step,
        kind: 'no-trained-from',
        message: `checkpoint ${link.step} records no trainedFrom`,
      });
    } else if (previous !== undefined && link.trainedFrom !== previous.adapter) {
      faults.push({
        step: link.step,
        kind: 'trained-from',
        message: `checkpoint ${link.step} was trained from adapters ${link.trainedFrom}, not step ${previous.step}'s ${previous.adapter}`,
      });
    }
    if (!link.applied && link.trainedFrom !== undefined && link.adapter !== link.trainedFrom) {
      faults.push({
        step: link.step,
        kind: 'adapters-changed',
        message: `checkpoint ${link.step} applied no update but its adapters changed`,
      });
    }
    previous = link;
    optimizerSteps = expected;
  }
  return faults;
}

/** Where two runs' chains agree: adapters compared step by step (pure). */
export interface ChainComparison {
  /** Steps both chains have. */
  steps: number;
  /** The first step whose adapters differ; null when none of the shared steps differ. */
  firstDifferentStep: number | null;
  /** Both chains end at the same step with the same adapter file (the same bytes: content addressed). */
  finalEqual: boolean;
  finalAdapters: { a: string | null; b: string | null };
}

export function compareChains(a: readonly ChainLink[], b: readonly ChainLink[]): ChainComparison {
  const byStep = new Map(b.map((l) => [l.step, l]));
  let steps = 0;
  let firstDifferentStep: number | null = null;
  for (const link of a) {
    const other = byStep.get(link.step);
    if (other === undefined) continue;
    steps++;
    if (firstDifferentStep === null && other.adapter !== link.adapter) firstDifferentStep = link.step;
  }
  const lastA = a.at(-1);
  const lastB = b.at(-1);
  return {
    steps,
    firstDifferentStep,
    finalEqual:
      lastA !== undefined &&
      lastB !== undefined &&
      lastA.step === lastB.step &&
      lastA.adapter === lastB.adapter,
    finalAdapters: { a: lastA?.adapter ?? null, b: lastB?.adapter ?? null },
  };
}

/**
 * A run's committed checkpoints in step order, each read with its adapters and optimizer state
 * verified against their hashes and the model's shapes (`model`: the run's model file or folder).
 */
export async function readCheckpointChain(options: {
  store: ArtifactStore;
  trainRunId: string;
  model: string;
}): Promise<Array<ChainLink & { record: StoredCheckpoint }>> {
  const { store, trainRunId } = options;
  const config = (await openModel({ path: options.model })).source.config;
  const links: Array<ChainLink & { record: StoredCheckpoint }> = [];
  for (const c of await listCheckpoints({ store, trainRunId })) {
    const { record } = await readCheckpoint({ store, address: c.address, model: config });
    links.push({
      step: c.step,
      address: c.address,
      parent: record.parent,
      trainedFrom: record.trainedFrom,
      adapter: record.files[ADAPTER_FILE]!,
      applied: record.update.applied,
      optimizerSteps: record.optimizerSteps,
      updateAttempt: record.update.attempt,
      record,
    });
  }
  return links;
}

/** A checkpoint chain with a fault; the message is the first fault's. */
export class CheckpointChainError extends AnchorageError {
  readonly faults: readonly ChainFault[];
  constructor(faults: readonly ChainFault[]) {
    super(faults[0]!.message);
    this.faults = faults;
  }
}

/**
 * Every checkpoint of a run, read and checked as a chain (`chainFaults`); throws a
 * CheckpointChainError naming the first fault. Returns the links in step order.
 */
export async function checkpointChain(options: { store: ArtifactStore; trainRunId: string; model: string }) {
  const chain = await readCheckpointChain(options);
  const faults = chainFaults(chain);
  if (faults.length > 0) throw new CheckpointChainError(faults);
  return chain;
}
