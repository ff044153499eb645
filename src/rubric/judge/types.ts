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

/** Counters of an LLM judge over its life. Tokens count only replies whose server reported usage. */
export interface JudgeStats {
  /** HTTP requests sent (retries and repair attempts included). */
  requests: number;
  /** Transport retries (each also counts as a request). */
  retries: number;
  /** Repair attempts after a malformed reply. */
  repairs: number;
  /** Criteria answered from the verdict cache without a request (with `samples` k > 1: each sample counts). */
  cacheHits: number;
  /** Criteria that had to be graded by the model (with `samples` k > 1: each sample counts). */
  cacheMisses: number;
  /** Unscorable verdicts returned (malformed replies, budget exhausted; k > 1: no sample scored). */
  unscorable: number;
  /** Requests not sent because the request or token budget was spent (their criteria unscorable). */
  budgetRefusals: number;
  promptTokens: number;
  completionTokens: number;
  /** Replies that carried a `usage` block; 0 means the server reports no token counts. */
  repliesWithUsage: number;
}

/** A judge that also reports what it spent. */
export interface MeteredRubricJudge extends RubricJudge {
  /** A snapshot of the counters. */
  stats(): JudgeStats;
}
