import { type JudgeUsage, NO_USAGE } from '../../contracts/judge-budget.ts';
import type { JudgeConfig } from './config.ts';
import type { JudgeStats } from './types.ts';

/**
 * The limits one activity's judge client must keep besides its config's (a share of a budget and of
 * a rate), and what a client spent: shared by the training run's judging (src/step) and the durable
 * rubric generation (src/rubric-authoring).
 */

/** Limits one activity's judge must keep besides its config's: a share of a budget and of a rate. */
export interface JudgeLimits {
  requests?: number;
  tokens?: number;
  requestsPerSecond?: number;
}

/** A judge config with `limits` applied: each the lower of the config's and the limit. */
export function limitJudgeConfig(options: { config: JudgeConfig; limits: JudgeLimits }): JudgeConfig {
  const { config, limits } = options;
  const lower = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b);
  const tokenBudget = lower(config.tokenBudget, limits.tokens);
  const maxRequestsPerSecond = lower(config.maxRequestsPerSecond, limits.requestsPerSecond);
  return {
    ...config,
    requestBudget: lower(config.requestBudget, limits.requests)!,
    ...(tokenBudget === undefined ? {} : { tokenBudget }),
    ...(maxRequestsPerSecond === undefined ? {} : { maxRequestsPerSecond }),
  };
}

/** What a judge's requests spent, from its counters (none without a judge). */
export function judgeUsage(stats: JudgeStats | undefined): JudgeUsage {
  return stats === undefined
    ? NO_USAGE
    : { requests: stats.requests, tokens: stats.promptTokens + stats.completionTokens };
}
