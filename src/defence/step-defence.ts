import type { WeightedRubric } from '../config/rubric-rules.ts';
import { parseRubrics } from '../rubric/corpus.ts';
import { type ResolvedRubric, resolveRubric } from '../rubric/resolve.ts';
import { defaultVerifiers } from '../rubric/verifiers/index.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import { commitOnce } from '../store/commit-once.ts';
import type { ArtifactStore } from '../store/store.ts';
import { DefenceProposal, StepDefence } from './records.ts';
import { defenceRefs } from './refs.ts';
import { listProposals } from './review.ts';

/**
 * The defence set of a training step: which proposals it applies. Fixed the first time the step is
 * planned (its rollouts activity), committed create-only, and read back by every later plan of the
 * step (judge shards, rewards, refill rounds, retries, replays), so a step always sees the same set
 * and a finished step's rewards never change. It holds every proposal made before the step that a
 * reviewer accepted, and with `autoApply` every one not rejected.
 */
export async function stepDefence(options: {
  store: ArtifactStore;
  trainRunId: string;
  step: number;
  autoApply: boolean;
}): Promise<StepDefence> {
  const { store, trainRunId, step } = options;
  const ref = defenceRefs.step(trainRunId, step);
  const existing = await store.getRef(ref);
  if (existing !== undefined) return StepDefence.parse(await store.getJson(existing));
  const queued = await listProposals({ store, trainRunId });
  const record: StepDefence = {
    format: 'anchorage.step-defence/1',
    trainRunId,
    step,
    applied: queued
      .filter((q) => q.proposal.step < step)
      .filter((q) => q.status === 'accepted' || (options.autoApply && q.status === 'pending'))
      .map((q) => ({
        proposal: q.proposal.id,
        address: q.address,
        how: q.status === 'accepted' ? ('accepted' as const) : ('auto' as const),
      })),
  };
  const { address } = await store.putJson(record);
  const committed = await commitOnce({ store, ref, address });
  return committed.created ? record : StepDefence.parse(await store.getJson(committed.address));
}

/**
 * A proposal's rubric checked by the rubric schema and resolved (verifier parameters validated);
 * throws a ValidationError naming the field otherwise. The monitor checks each proposal so before it
 * enters the queue.
 */
export function resolveDefenceRubric(options: {
  rubric: Record<string, unknown>;
  name: string;
  verifiers?: VerifierRegistry;
}): ResolvedRubric {
  const [located] = parseRubrics({
    text: JSON.stringify(options.rubric),
    file: `defence proposal ${options.name}`,
  });
  const id = located!.value.id;
  return resolveRubric({
    corpus: { get: (x) => (x === id ? located : undefined), size: 1 },
    id,
    verifiers: options.verifiers ?? defaultRegistry(),
  });
}

/** A step's defence rubrics, resolved, and how each prompt names them (`weight` each). */
export interface DefenceRubrics {
  resolved: ResolvedRubric[];
  weighted: WeightedRubric[];
}

const resolvedCache = new Map<string, ResolvedRubric>();
let registry: VerifierRegistry | undefined;
const defaultRegistry = () => {
  registry ??= defaultVerifiers();
  return registry;
};

/**
 * The rubrics of a defence set, checked by the rubric schema and resolved (verifier parameters
 * validated); a proposal's rubric is resolved once per process (records are immutable).
 */
export async function defenceRubrics(options: {
  store: ArtifactStore;
  set: StepDefence;
  weight: number;
  /** Default: every built-in verifier. */
  verifiers?: VerifierRegistry;
}): Promise<DefenceRubrics> {
  const verifiers = options.verifiers ?? defaultRegistry();
  const resolved: ResolvedRubric[] = [];
  for (const applied of options.set.applied) {
    let rubric = resolvedCache.get(applied.address);
    if (rubric === undefined) {
      const proposal = DefenceProposal.parse(await options.store.getJson(applied.address));
      rubric = resolveDefenceRubric({ rubric: proposal.rubric, name: proposal.id, verifiers });
      resolvedCache.set(applied.address, rubric);
    }
    resolved.push(rubric);
  }
  return {
    resolved,
    weighted: resolved.map((r) => ({ rubricId: r.id, weight: options.weight, from: 'defence' as const })),
  };
}
