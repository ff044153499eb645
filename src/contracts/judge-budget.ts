/**
 * A run's judge budget (`judge.runBudget` of the run configuration): how many judge requests and
 * tokens the whole run may spend, over every shard, step, evaluation and data selection. The
 * training workflow holds the budget and what was spent in its state (carried across
 * continue-as-new); each judging activity gets a share of what is left (its allowance) and reports
 * what it spent. Pure rules, declared once here for the workflows, the activities and the CLI.
 * Workflow-safe: no imports.
 *
 * Bound: requests never exceed the budget (a judge client takes a request from its allowance before
 * sending it, and the shares of one round add up to at most what is left). Tokens are known only
 * once a reply arrives, so a shard stops starting requests when its token share is spent, and the
 * requests then in flight (at most the judge's `concurrency`) still add theirs: the run's tokens
 * stay under budget + shards × concurrency × (tokens of one request). A worker killed mid-shard
 * loses from the count only the requests sent after its last heartbeat (whose details carry the
 * spend so far to the next attempt).
 */

/** What judging spent: HTTP requests (retries and repairs included) and tokens the server reported. */
export interface JudgeUsage {
  requests: number;
  tokens: number;
}

/** Limits on a run's judging; a missing one is no limit. */
export interface JudgeBudget {
  requests?: number | undefined;
  tokens?: number | undefined;
}

/** What one judging activity may spend (its share of what the run has left); missing: no limit. */
export type JudgeAllowance = JudgeBudget;

/** A request to raise a run's budget (`anchorage budget <run> --add-requests N --add-tokens N`). */
export interface JudgeBudgetRaise {
  addRequests?: number;
  addTokens?: number;
}

/** The budget as the run reports it: limits, spend, and whether the run waits for a raise. */
export interface JudgeBudgetView {
  /** Null: the run has no budget (its spend is still counted). */
  budget: JudgeBudget | null;
  used: JudgeUsage;
  /** True while the run is paused because the budget is spent. */
  waiting: boolean;
}

/** What a judging child workflow returns when its allowance ran out before every shard was judged. */
export interface JudgeBudgetSpent {
  judgeBudgetSpent: true;
  /** What it spent before stopping (its share of the run's spend). */
  judgeUsage: JudgeUsage;
}

export const NO_USAGE: JudgeUsage = { requests: 0, tokens: 0 };

export function addUsage(a: JudgeUsage, b: JudgeUsage | undefined): JudgeUsage {
  return b === undefined ? a : { requests: a.requests + b.requests, tokens: a.tokens + b.tokens };
}

/** True for a child's budget-spent answer (anything else is its ordinary result). */
export function isJudgeBudgetSpent(value: unknown): value is JudgeBudgetSpent {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { judgeBudgetSpent?: unknown }).judgeBudgetSpent === true
  );
}

/** What is left of each limit (negative when overspent); a dimension without a limit stays unset. */
export function remaining(options: { budget: JudgeBudget; used: JudgeUsage }): JudgeAllowance {
  const { budget, used } = options;
  return {
    ...(budget.requests === undefined ? {} : { requests: budget.requests - used.requests }),
    ...(budget.tokens === undefined ? {} : { tokens: budget.tokens - used.tokens }),
  };
}

/** True when some limit has nothing left: no further request may start. */
export function allowanceSpent(allowance: JudgeAllowance): boolean {
  return (
    (allowance.requests !== undefined && allowance.requests <= 0) ||
    (allowance.tokens !== undefined && allowance.tokens <= 0)
  );
}

export function budgetSpent(options: { budget: JudgeBudget; used: JudgeUsage }): boolean {
  return allowanceSpent(remaining(options));
}

/** Splits `total` (an integer >= 0) into `parts` integers that differ by at most one and add up to it. */
function splitInteger(total: number, parts: number): number[] {
  const whole = Math.max(0, Math.floor(total));
  const base = Math.floor(whole / parts);
  const extra = whole - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Shares of an allowance for `parts` activities running at once: each limit split into integers
 * that add up to at most the allowance (some shares may be 0), so together they cannot spend more.
 */
export function splitAllowance(options: { allowance: JudgeAllowance; parts: number }): JudgeAllowance[] {
  const { allowance } = options;
  const parts = Math.max(1, Math.floor(options.parts));
  const requests = allowance.requests === undefined ? undefined : splitInteger(allowance.requests, parts);
  const tokens = allowance.tokens === undefined ? undefined : splitInteger(allowance.tokens, parts);
  return Array.from({ length: parts }, (_, i) => ({
    ...(requests === undefined ? {} : { requests: requests[i]! }),
    ...(tokens === undefined ? {} : { tokens: tokens[i]! }),
  }));
}

/**
 * What an allowance has left after `used` (an earlier attempt's spend), each limit at least 0; a
 * dimension without a limit stays unset.
 */
export function allowanceLeft(options: { allowance: JudgeAllowance; used: JudgeUsage }): JudgeAllowance {
  const left = remaining({ budget: options.allowance, used: options.used });
  return {
    ...(left.requests === undefined ? {} : { requests: Math.max(0, left.requests) }),
    ...(left.tokens === undefined ? {} : { tokens: Math.max(0, left.tokens) }),
  };
}

/**
 * The allowance of an activity started while others run on their allowances (`reserved`, their
 * sum): per limit, what the budget has left after `used` and `reserved`, at least 0, shared among
 * the `free` lanes not running an activity (this one's included), rounded up. A share is never more
 * than what is unreserved, so the allowances of the activities running at once add up to at most
 * what the budget had left when each started: together they cannot spend more requests than it.
 * (An activity may overshoot its token share by the tokens of its requests in flight; a later share
 * is then smaller, and 0 while nothing is left.)
 */
export function shareOfBudget(options: {
  budget: JudgeBudget;
  used: JudgeUsage;
  reserved: JudgeUsage;
  free: number;
}): JudgeAllowance {
  const { budget, used, reserved } = options;
  const free = Math.max(1, Math.floor(options.free));
  const share = (limit: number | undefined, spent: number, held: number) =>
    limit === undefined ? undefined : Math.ceil(Math.max(0, Math.floor(limit - spent - held)) / free);
  const requests = share(budget.requests, used.requests, reserved.requests);
  const tokens = share(budget.tokens, used.tokens, reserved.tokens);
  return {
    ...(requests === undefined ? {} : { requests }),
    ...(tokens === undefined ? {} : { tokens }),
  };
}

/**
 * A raise's problem, or undefined when it is usable: positive integers, at least one, and only for
 * limits the run has (a run without a token limit cannot be given more tokens).
 */
export function raiseProblem(options: { budget: JudgeBudget | null; raise: unknown }): string | undefined {
  const { budget, raise } = options;
  if (budget === null) return 'the run has no judge budget (judge.runBudget in its configuration)';
  if (typeof raise !== 'object' || raise === null) return 'expected { addRequests?, addTokens? }';
  const r = raise as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => k !== 'addRequests' && k !== 'addTokens');
  if (unknown.length > 0) return `unknown field ${unknown[0]}: expected addRequests or addTokens`;
  if (r.addRequests === undefined && r.addTokens === undefined)
    return 'expected addRequests, addTokens or both';
  for (const [key, limit] of [
    ['addRequests', budget.requests],
    ['addTokens', budget.tokens],
  ] as const) {
    const v = r[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
      return `${key}: expected a whole number >= 1, got ${String(v)}`;
    if (limit === undefined)
      return `${key}: the run's budget has no ${key === 'addRequests' ? 'request' : 'token'} limit to raise`;
  }
  return undefined;
}

/** The budget after a raise (checked beforehand with `raiseProblem`). */
export function raiseBudget(options: { budget: JudgeBudget; raise: JudgeBudgetRaise }): JudgeBudget {
  const { budget, raise } = options;
  return {
    ...(budget.requests === undefined ? {} : { requests: budget.requests + (raise.addRequests ?? 0) }),
    ...(budget.tokens === undefined ? {} : { tokens: budget.tokens + (raise.addTokens ?? 0) }),
  };
}

/** `12 of 12 requests, 3400 of 5000 tokens`: the spend against each limit. */
export function describeSpend(options: { budget: JudgeBudget; used: JudgeUsage }): string {
  const { budget, used } = options;
  const parts: string[] = [];
  if (budget.requests !== undefined) parts.push(`${used.requests} of ${budget.requests} requests`);
  if (budget.tokens !== undefined) parts.push(`${used.tokens} of ${budget.tokens} tokens`);
  return parts.join(', ');
}
