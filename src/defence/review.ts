import { commitOnce } from '../store/commit-once.ts';
import type { ArtifactStore } from '../store/store.ts';
import { ValidationError } from '../util/errors.ts';
import { DefenceDecision, DefenceProposal } from './records.ts';
import { defenceRefs } from './refs.ts';

/**
 * The review queue of a run's proposed defence criteria, in its store: proposals are listed with
 * their decisions, and a decision (accept or reject, as in `anchorage rubrics review`) is written
 * once, create-only; a proposal already decided keeps its first decision. An accepted proposal
 * applies from the next step planned after the decision (src/defence/step-defence.ts).
 */

export type ProposalStatus = 'pending' | 'accepted' | 'rejected';

export interface QueuedProposal {
  address: string;
  proposal: DefenceProposal;
  decision: DefenceDecision | undefined;
  status: ProposalStatus;
}

/** Every proposal of a run, oldest step first, with its decision. */
export async function listProposals(options: {
  store: ArtifactStore;
  trainRunId: string;
}): Promise<QueuedProposal[]> {
  const { store, trainRunId } = options;
  const decisions = new Map<string, DefenceDecision>();
  for (const entry of await store.listRefs(defenceRefs.decisions(trainRunId))) {
    const d = DefenceDecision.parse(await store.getJson(entry.address));
    decisions.set(d.proposal, d);
  }
  const out: QueuedProposal[] = [];
  for (const entry of await store.listRefs(defenceRefs.proposals(trainRunId))) {
    const proposal = DefenceProposal.parse(await store.getJson(entry.address));
    const decision = decisions.get(proposal.id);
    out.push({
      address: entry.address,
      proposal,
      decision,
      status: decision === undefined ? 'pending' : decision.decision,
    });
  }
  return out.sort((a, b) => a.proposal.step - b.proposal.step || (a.proposal.id < b.proposal.id ? -1 : 1));
}

/**
 * Records a decision on a proposal. Throws when the run has no such proposal; answers the decision
 * that holds (an earlier one, when the proposal was decided already) and whether this call made it.
 */
export async function decideProposal(options: {
  store: ArtifactStore;
  trainRunId: string;
  id: string;
  decision: 'accepted' | 'rejected';
  reason?: string;
  now?: () => Date;
}): Promise<{ decision: DefenceDecision; created: boolean }> {
  const { store, trainRunId, id } = options;
  const proposal = await store.getRef(defenceRefs.proposal(trainRunId, id));
  if (proposal === undefined) {
    throw new ValidationError(
      `run ${trainRunId} has no defence proposal '${id}' (see \`anchorage defence list ${trainRunId}\`)`,
    );
  }
  const record: DefenceDecision = {
    format: 'anchorage.defence-decision/1',
    proposal: id,
    decision: options.decision,
    at: (options.now?.() ?? new Date()).toISOString(),
    edited: false,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
  };
  const { address } = await store.putJson(record);
  const committed = await commitOnce({ store, ref: defenceRefs.decision(trainRunId, id), address });
  if (committed.created) return { decision: record, created: true };
  return { decision: DefenceDecision.parse(await store.getJson(committed.address)), created: false };
}
