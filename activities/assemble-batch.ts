import { stepKeyOf } from '../src/contracts/step-refs.ts';
import { assembleBatch } from '../src/step/assemble-batch.ts';
import type { ActivityDeps } from './deps.ts';
import { asActivity } from './failures.ts';
import type { AssembleBatchInput, AssembleBatchOutput } from './types.ts';

/**
 * The batch a step with refill rounds trains on (dynamic sampling, src/step/assemble-batch.ts): the
 * rounds' groups with reward variance and their rewards; a non-finite reward fails it without retry.
 */
export function assembleBatchActivity(deps: ActivityDeps) {
  return (input: AssembleBatchInput): Promise<AssembleBatchOutput> =>
    asActivity(() =>
      assembleBatch({
        store: deps.store,
        key: stepKeyOf(input),
        run: () => deps.loadRun(input.configAddress, input.stageStarts),
        rounds: input.rounds,
        log: deps.log,
        workerName: deps.workerName,
      }),
    );
}
