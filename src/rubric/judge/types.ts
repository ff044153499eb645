import type { ResolvedCriterion } from '../resolve.ts';
import type { Verdict } from '../verdict.ts';

/** What a judge grades: one response to one prompt against some criteria of a rubric. */
export interface JudgeRequest {
  rubricId: string;
  prompt: string;
  response: string;
  criteria: readonly ResolvedCriterion[];
}

/**
 * Grades criteria whose evaluator is `judge`. Returns one verdict per criterion, in order; a
 * criterion it could not grade comes back `unscorable` with the reason, never as a 0.
 */
export interface RubricJudge {
  judge(request: JudgeRequest): Promise<Verdict[]>;
}
