import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalFolderStore } from '../store/local-store.ts';
import { ValidationError } from '../util/errors.ts';
import type { Finding } from './findings.ts';
import type { DefenceProposal } from './records.ts';
import { defenceRefs } from './refs.ts';
import { decideProposal, listProposals } from './review.ts';
import { defenceRubrics, stepDefence } from './step-defence.ts';
import { proposalId, templateRubric } from './templates.ts';

const RUN = 'review-run';

/** Puts a phrase finding's proposal from `step` into the queue, as the monitor does. */
async function queue(store: LocalFolderStore, phrase: string, step: number): Promise<string> {
  const finding: Finding = { kind: 'phrase', phrase, correlation: 0.8, frequency: 0.4, history: [0.1, 0.4] };
  const id = proposalId(finding);
  const record: DefenceProposal = {
    format: 'anchorage.defence-proposal/1',
    id,
    trainRunId: RUN,
    step,
    finding,
    reason: 'test',
    examples: [],
    rubric: { ...templateRubric({ finding, trainRunId: RUN, step }) },
    proposer: { kind: 'template' },
  };
  const { address } = await store.putJson(record);
  await store.setRef(defenceRefs.proposal(RUN, id), address, { mode: 'create-only' });
  return id;
}

describe('the defence review queue and step defence sets (local store)', () => {
  let dir: string;
  let store: LocalFolderStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anchorage-defence-review-'));
    store = new LocalFolderStore({ root: dir });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('lists proposals with their status; a decision is final', async () => {
    const a = await queue(store, 'magic', 2);
    const b = await queue(store, 'padding', 3);
    assert.deepEqual(
      (await listProposals({ store, trainRunId: RUN })).map((q) => [q.proposal.id, q.status]),
      [
        [a, 'pending'],
        [b, 'pending'],
      ],
    );
    const first = await decideProposal({ store, trainRunId: RUN, id: a, decision: 'accepted', reason: 'ok' });
    assert.equal(first.created, true);
    const second = await decideProposal({ store, trainRunId: RUN, id: a, decision: 'rejected' });
    assert.equal(second.created, false);
    assert.equal(second.decision.decision, 'accepted');
    await assert.rejects(
      decideProposal({ store, trainRunId: RUN, id: 'phrase-00000000', decision: 'accepted' }),
      ValidationError,
    );
    await assert.rejects(
      decideProposal({ store, trainRunId: RUN, id: '../x', decision: 'accepted' }),
      ValidationError,
    );
  });

  it("fixes a step's set once: accepted ones (or pending ones with autoApply) proposed before it", async () => {
    const [a, b] = (await listProposals({ store, trainRunId: RUN })).map((q) => q.proposal.id);
    // Step 3: `a` (step 2, accepted) applies; `b` (step 3) is too late for it.
    const s3 = await stepDefence({ store, trainRunId: RUN, step: 3, autoApply: true });
    assert.deepEqual(
      s3.applied.map((x) => [x.proposal, x.how]),
      [[a, 'accepted']],
    );
    // Step 4 with autoApply: `b` applies unreviewed; without it, only `a`.
    const s4 = await stepDefence({ store, trainRunId: RUN, step: 4, autoApply: true });
    assert.deepEqual(
      s4.applied.map((x) => [x.proposal, x.how]),
      [
        [a, 'accepted'],
        [b, 'auto'],
      ],
    );
    const s5 = await stepDefence({ store, trainRunId: RUN, step: 5, autoApply: false });
    assert.deepEqual(
      s5.applied.map((x) => x.proposal),
      [a],
    );
    // Rejecting `b` now changes no set already fixed (step 4 is read back), only later ones.
    await decideProposal({ store, trainRunId: RUN, id: b!, decision: 'rejected' });
    assert.deepEqual(await stepDefence({ store, trainRunId: RUN, step: 4, autoApply: true }), s4);
    const s6 = await stepDefence({ store, trainRunId: RUN, step: 6, autoApply: true });
    assert.deepEqual(
      s6.applied.map((x) => x.proposal),
      [a],
    );

    const rubrics = await defenceRubrics({ store, set: s4, weight: 0.1 });
    assert.deepEqual(
      rubrics.weighted.map((w) => [w.rubricId, w.weight, w.from]),
      [
        [`defence/adaptive/${a}`, 0.1, 'defence'],
        [`defence/adaptive/${b}`, 0.1, 'defence'],
      ],
    );
    assert.equal(rubrics.resolved[0]!.criteria[0]!.kind, 'veto');
  });
});
