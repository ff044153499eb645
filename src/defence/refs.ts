import { runRefs } from '../train/run-refs.ts';
import { ValidationError } from '../util/errors.ts';

/**
 * Ref names of adaptive defence, under the run's folder, all create-only:
 *
 *   runs/<id>/defence/monitor/step-<n>       the monitor record of training step n
 *   runs/<id>/defence/proposals/<proposal>   a proposal of the review queue
 *   runs/<id>/defence/decisions/<proposal>   the reviewer's decision on it (one, never changed)
 *   runs/<id>/defence/steps/step-<n>         the defence set step n applies
 */
const PROPOSAL_ID = /^[a-z]+-[0-9a-f]{8}$/;

function folder(trainRunId: string): string {
  return `${runRefs.runPrefix(trainRunId)}defence/`;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 1) {
    throw new ValidationError(`expected a training step (integer >= 1), got ${step}`);
  }
}

export function checkProposalId(id: string): string {
  if (!PROPOSAL_ID.test(id)) {
    throw new ValidationError(`expected a proposal id such as phrase-3f2a9c1b, got '${id}'`);
  }
  return id;
}

export const defenceRefs = {
  monitor: (trainRunId: string, step: number) => {
    checkStep(step);
    return `${folder(trainRunId)}monitor/step-${step}`;
  },
  proposal: (trainRunId: string, id: string) => `${folder(trainRunId)}proposals/${checkProposalId(id)}`,
  proposals: (trainRunId: string) => `${folder(trainRunId)}proposals/`,
  decision: (trainRunId: string, id: string) => `${folder(trainRunId)}decisions/${checkProposalId(id)}`,
  decisions: (trainRunId: string) => `${folder(trainRunId)}decisions/`,
  step: (trainRunId: string, step: number) => {
    checkStep(step);
    return `${folder(trainRunId)}steps/step-${step}`;
  },
};
