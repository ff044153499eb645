import type { Logger } from 'pino';
import type { ResolvedCriterion } from '../resolve.ts';
import type { Verdict } from '../verdict.ts';
import type { ChatClient, ChatReply } from './chat-client.ts';
import type { Parsed, TierChoice } from './reply.ts';
import { BUDGET_EXHAUSTED_REASON, boundReason } from './reasons.ts';
import type { JudgeRequest, JudgeStats } from './types.ts';

/**
 * What a grading mode works with and returns. A mode grades the criteria the cache could not answer
 * and says, per criterion, whether its verdict may be cached: a verdict the model paid for (scored,
 * or unscorable after the repair attempt) is; one cut short by the request budget is not.
 */

export interface GradeContext {
  client: ChatClient;
  stats: JudgeStats;
  log: Logger;
  /** `judge:<model>`, recorded in each verdict. */
  evaluator: string;
  /** `reasonMaxChars` of the config: the reason's length bound in a `json_schema` response format. */
  reasonMaxChars: number | undefined;
  /** Draws a fence nonce (random in production). */
  drawNonce: () => string;
  /** Records a verdict as soon as it is known (caches it when cacheable). */
  settle: (options: { criterion: ResolvedCriterion; outcome: GradeOutcome }) => Promise<void>;
}

export interface GradeOutcome {
  verdict: Verdict;
  cacheable: boolean;
}

/** A grading mode: one call per criterion, or one call per rubric. */
export type GradeMode = (options: {
  ctx: GradeContext;
  request: JudgeRequest;
  criteria: readonly ResolvedCriterion[];
}) => Promise<Map<string, GradeOutcome>>;

export function scoredOutcome(options: {
  ctx: GradeContext;
  criterion: ResolvedCriterion;
  choice: TierChoice;
}): GradeOutcome {
  const { ctx, criterion, choice } = options;
  return {
    verdict: {
      criterionId: criterion.id,
      status: 'scored',
      tierScore: choice.tier.score,
      tierLabel: choice.tier.label,
      reason: boundReason(choice.reason),
      evaluator: ctx.evaluator,
    },
    cacheable: true,
  };
}

export function malformedOutcome(options: {
  ctx: GradeContext;
  criterion: ResolvedCriterion;
  problem: string;
}): GradeOutcome {
  const { ctx, criterion, problem } = options;
  return {
    verdict: {
      criterionId: criterion.id,
      status: 'unscorable',
      reason: boundReason(`malformed judge reply after one repair attempt: ${problem}`),
      evaluator: ctx.evaluator,
    },
    cacheable: true,
  };
}

/** A budget (requests, or tokens) was spent before the criterion was graded: unscorable, never cached. */
export function budgetOutcome(options: {
  ctx: GradeContext;
  criterion: ResolvedCriterion;
  /** Default BUDGET_EXHAUSTED_REASON (the request budget). */
  reason?: string;
}): GradeOutcome {
  return {
    verdict: {
      criterionId: options.criterion.id,
      status: 'unscorable',
      reason: options.reason ?? BUDGET_EXHAUSTED_REASON,
      evaluator: options.ctx.evaluator,
    },
    cacheable: false,
  };
}

/** Unscorable and never cached: a later attempt (or a larger judge) may still grade it. */
function uncachedUnscorable(options: {
  ctx: GradeContext;
  criterion: ResolvedCriterion;
  reason: string;
}): GradeOutcome {
  return {
    verdict: {
      criterionId: options.criterion.id,
      status: 'unscorable',
      reason: options.reason,
      evaluator: options.ctx.evaluator,
    },
    cacheable: false,
  };
}

/** The request did not fit the judge's context: unscorable, not cached (a larger model may take it). */
export function tooLongOutcome(options: {
  ctx: GradeContext;
  criterion: ResolvedCriterion;
  problem: string;
}): GradeOutcome {
  return uncachedUnscorable({
    ...options,
    reason: `prompt and response do not fit the judge's context: ${options.problem}`,
  });
}

/** The reply was larger than maxReplyBytes: unscorable, never cached (it was not read whole). */
export function oversizedOutcome(options: {
  ctx: GradeContext;
  criterion: ResolvedCriterion;
  problem: string;
}): GradeOutcome {
  return uncachedUnscorable({ ...options, reason: boundReason(`judge reply too large: ${options.problem}`) });
}

/** The problem with a reply, plus a hint when the server cut it off at the token limit. */
export function describeProblem(parsed: Parsed<unknown>, reply: ChatReply): string {
  const problem = parsed.ok ? '' : parsed.problem;
  return reply.finishReason === 'length'
    ? `${problem} (the reply hit the token limit; raise maxTokens)`
    : problem;
}
