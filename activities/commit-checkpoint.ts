import { Address } from '../src/store/address.ts';
import { RefConflictError } from '../src/store/errors.ts';
import { writeRunManifest } from '../src/store/run-refs.ts';
import { runRefs } from '../src/train/run-refs.ts';
import { ValidationError } from '../src/util/errors.ts';
import { failpoint } from '../src/util/failpoints.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import type { CommitCheckpointInput, CommitCheckpointOutput } from './types.ts';

/**
 * Publishes a committed checkpoint: moves `runs/<id>/latest` from the parent to it (compare-and-set,
 * so the pointer only ever moves forward one step; a retry that finds it moved already is a no-op),
 * marks milestones (kept for good), and writes the run manifest with the given facts.
 */
export function commitCheckpointActivity(deps: ActivityDeps) {
  return function commitCheckpoint(input: CommitCheckpointInput): Promise<CommitCheckpointOutput> {
    return asActivity(async () => {
      const { store } = deps;
      const committed = await store.getRef(runRefs.checkpoint(input.trainRunId, input.step));
      if (committed !== input.checkpoint) {
        throw new ValidationError(
          `checkpoint ${input.step} of ${input.trainRunId} is ${committed ?? 'not committed'}, not ${input.checkpoint}`,
        );
      }
      const latestRef = runRefs.latest(input.trainRunId);
      const target = Address.parse(input.checkpoint);
      try {
        await store.setRef(latestRef, target, {
          mode: 'compare-and-set',
          expected: input.parent === null ? undefined : Address.parse(input.parent),
        });
      } catch (err) {
        // Already moved here by an earlier attempt: done. Anything else is a real conflict.
        if (!(err instanceof RefConflictError) || err.current !== target) throw err;
      }
      await failpoint('checkpoint.latest-moved', { step: input.step });
      if (input.milestone) {
        await store.setRef(runRefs.milestone(input.trainRunId, input.step), target, { mode: 'create-only' });
      }
      const { address } = await writeRunManifest({
        store,
        trainRunId: input.trainRunId,
        meta: { ...input.meta, step: input.step, latestCheckpoint: input.checkpoint },
      });
      return { latest: input.checkpoint, milestone: input.milestone, manifest: address };
    });
  };
}
