import { TransportError } from '../../util/errors.ts';
import type { Verdict } from '../verdict.ts';
import type { JudgeRequest, RubricJudge } from './types.ts';

/** A judge whose transport failures become unscorable verdicts, with what failed recorded. */
export interface FailureTolerantJudge extends RubricJudge {
  /** The first transport failure, if any; every later request was answered without a call. */
  readonly failure: TransportError | undefined;
  /** Requests answered as unscorable because the judge could not be reached. */
  readonly failedRequests: number;
}

/**
 * For commands that report rather than retry (`anchorage score`): when the judge's transport fails
 * (after its own retries), its criteria become `unscorable` with the reason instead of the error
 * losing every other verdict of the response. After the first failure the judge is not called again,
 * so a dead server costs one round of retries, not one per response. Other errors still throw.
 * Training does not use this: there a transport failure fails the activity, which Temporal retries.
 */
export function failureTolerant(judge: RubricJudge): FailureTolerantJudge {
  let failure: TransportError | undefined;
  let failedRequests = 0;
  const unscorable = (request: JudgeRequest, reason: string): Verdict[] =>
    request.criteria.map((c) => ({ criterionId: c.id, status: 'unscorable', reason, evaluator: 'judge' }));
  return {
    async judge(request) {
      if (failure !== undefined) {
        failedRequests++;
        return unscorable(request, `judge unavailable (an earlier request failed): ${failure.message}`);
      }
      try {
        return await judge.judge(request);
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        failure = error;
        failedRequests++;
        return unscorable(request, `judge unavailable: ${error.message}`);
      }
    },
    get failure() {
      return failure;
    },
    get failedRequests() {
      return failedRequests;
    },
  };
}
