import { z } from 'zod';
import { ValidationError } from '../util/errors.ts';
import type { Address } from './address.ts';
import { RefConflictError } from './errors.ts';
import type { ArtifactStore } from './store.ts';

/** A training run id usable as one ref segment: letters, digits, `.`, `_`, `-`. */
export const TrainRunId = z
  .string()
  .regex(/^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$/, 'a training run id: 1-128 letters, digits, . _ -');

function runPrefix(trainRunId: string): string {
  if (!TrainRunId.safeParse(trainRunId).success) {
    throw new ValidationError(`expected a training run id (letters, digits, . _ -), got '${trainRunId}'`);
  }
  return `runs/${trainRunId}/`;
}

/** `runs/<trainRunId>/checkpoints/step-<n>`: written create-only, so a committed step is final. */
export function checkpointRef(options: { trainRunId: string; step: number }): string {
  if (!Number.isInteger(options.step) || options.step < 0) {
    throw new ValidationError(`expected a step number (integer >= 0), got ${options.step}`);
  }
  return `${runPrefix(options.trainRunId)}checkpoints/step-${options.step}`;
}

/** A run's checkpoints, by step number (ascending). */
export async function listCheckpoints(options: {
  store: ArtifactStore;
  trainRunId: string;
}): Promise<Array<{ step: number; address: Address }>> {
  const prefix = `${runPrefix(options.trainRunId)}checkpoints/step-`;
  const refs = await options.store.listRefs(prefix);
  return refs
    .map((r) => ({ step: Number(r.name.slice(prefix.length)), address: r.address }))
    .filter((c) => Number.isInteger(c.step))
    .sort((a, b) => a.step - b.step);
}

/** Ids of the training runs the store holds refs of (any ref under `runs/<id>/`), sorted. */
export async function listTrainRuns(options: { store: ArtifactStore }): Promise<string[]> {
  const ids = new Set<string>();
  for (const ref of await options.store.listRefs('runs/')) {
    const id = ref.name.split('/')[1];
    if (id !== undefined && TrainRunId.safeParse(id).success) ids.add(id);
  }
  return [...ids].sort();
}

/**
 * The run's facts at its last commit. It names no refs: a list of every ref, rewritten at every step,
 * made each commit cost more the longer the run (`listRefs` of the run's prefix finds them instead).
 */
export const RunManifest = z.strictObject({
  format: z.literal('anchorage.run-manifest/2'),
  trainRunId: TrainRunId,
  /** ISO time of this version of the manifest. */
  updatedAt: z.string(),
  /** Free-form facts about the run (config address, model name, stage, latest checkpoint). */
  meta: z.record(z.string(), z.unknown()),
});
export type RunManifest = z.infer<typeof RunManifest>;

const manifestRef = (trainRunId: string) => `${runPrefix(trainRunId)}manifest`;

/** The run's latest manifest, or undefined when none was written. */
export async function readRunManifest(options: {
  store: ArtifactStore;
  trainRunId: string;
}): Promise<RunManifest | undefined> {
  const address = await options.store.getRef(manifestRef(options.trainRunId));
  return address === undefined ? undefined : options.store.getJson(address, RunManifest);
}

/**
 * Writes a manifest whose `meta` is `meta` merged into the previous manifest's, and moves the
 * `runs/<id>/manifest` ref with compare-and-set, retrying when another writer moved it first. Its
 * cost does not grow with the run: two ref reads, one object read and one write.
 */
export async function writeRunManifest(options: {
  store: ArtifactStore;
  trainRunId: string;
  meta?: Record<string, unknown>;
  now?: () => Date;
}): Promise<{ address: Address; manifest: RunManifest }> {
  const { store, trainRunId, meta = {}, now = () => new Date() } = options;
  const ref = manifestRef(trainRunId);
  for (let attempt = 0; attempt < 20; attempt++) {
    const previousAddress = await store.getRef(ref);
    const previous =
      previousAddress === undefined ? undefined : await store.getJson(previousAddress, RunManifest);
    const manifest: RunManifest = {
      format: 'anchorage.run-manifest/2',
      trainRunId,
      updatedAt: now().toISOString(),
      meta: { ...(previous?.meta ?? {}), ...meta },
    };
    const { address } = await store.putJson(manifest);
    try {
      await store.setRef(ref, address, { mode: 'compare-and-set', expected: previousAddress });
      return { address, manifest };
    } catch (err) {
      if (!(err instanceof RefConflictError)) throw err;
    }
  }
  throw new RefConflictError({
    ref,
    current: await store.getRef(ref),
    attempted: '(new manifest)',
    message: `ref ${ref} kept changing under 20 attempts to update it`,
  });
}
