import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ValidationError } from '../../util/errors.ts';
import { formatFieldPath } from '../../util/field-path.ts';
import { logger } from '../../util/logger.ts';
import type { ResolvedCriterion } from '../resolve.ts';
import type { Verdict } from '../verdict.ts';
import { ChatClient } from './chat-client.ts';
import { JudgeConfig, type JudgeConfigInput, loadJudgeConfig } from './config.ts';
import type { GradeContext, GradeMode } from './grading.ts';
import { gradePerCriterion } from './per-criterion-mode.ts';
import { JUDGE_PROMPT_VERSION, randomNonce } from './prompts.ts';
import { gradeRubric } from './rubric-mode.ts';
import type { JudgeRequest, JudgeStats, MeteredRubricJudge } from './types.ts';
import { VerdictCache, verdictCacheKey } from './verdict-cache.ts';

/** Grading modes by the name `JudgeConfig.mode` uses. */
export const GRADE_MODES: Record<JudgeConfig['mode'], GradeMode> = {
  'per-criterion': gradePerCriterion,
  rubric: gradeRubric,
};

/** What the judge needs from the outside world; tests pass their own, production the defaults. */
export interface JudgeDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  log?: Logger;
  /** Where `apiKeyEnv` is looked up; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /** Fence nonce source; random by default. */
  nonce?: () => string;
}

/**
 * An LLM judge over an OpenAI-compatible endpoint. Verdicts come from the on-disk cache when they
 * can; the rest are graded in the configured mode. Malformed replies end as `unscorable` verdicts
 * (cached: they were paid for), a spent request budget as `unscorable` "request budget exhausted"
 * (not cached), and a transport failure as a thrown `TransportError` for the caller to retry.
 */
export function createJudge(
  config: JudgeConfigInput | JudgeConfig,
  deps: JudgeDeps = {},
): MeteredRubricJudge {
  const parsed = JudgeConfig.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`judge config: expected ${issue.message}`, {
      location: { field: formatFieldPath(issue.path as PropertyKey[]) || '(config)' },
    });
  }
  const cfg = parsed.data;
  const env = deps.env ?? process.env;
  let apiKey: string | undefined;
  if (cfg.apiKeyEnv !== undefined) {
    apiKey = env[cfg.apiKeyEnv];
    if (apiKey === undefined || apiKey === '') {
      throw new ValidationError(`environment variable ${cfg.apiKeyEnv} (named by apiKeyEnv) is not set`, {
        location: { field: 'apiKeyEnv' },
      });
    }
  }
  const log = deps.log ?? logger('judge');
  const stats: JudgeStats = {
    requests: 0,
    retries: 0,
    repairs: 0,
    cacheHits: 0,
    cacheMisses: 0,
    unscorable: 0,
    promptTokens: 0,
    completionTokens: 0,
    repliesWithUsage: 0,
  };
  const client = new ChatClient({
    config: cfg,
    apiKey,
    stats,
    deps: {
      fetch: deps.fetch ?? globalThis.fetch,
      sleep: deps.sleep ?? ((ms) => delay(ms)),
      random: deps.random ?? Math.random,
      now: deps.now ?? Date.now,
      log,
    },
  });
  const cache = new VerdictCache({ dir: cfg.cacheDir, log });
  const grade = GRADE_MODES[cfg.mode];
  log.debug(
    { baseUrl: cfg.baseUrl, model: cfg.model, mode: cfg.mode, concurrency: cfg.concurrency },
    'judge ready',
  );

  async function judge(request: JudgeRequest): Promise<Verdict[]> {
    for (const c of request.criteria) {
      if (c.evaluator.type !== 'judge') {
        throw new ValidationError(
          `criterion '${c.id}' of rubric '${request.rubricId}' is graded by verifier '${c.evaluator.name}', not by the judge`,
        );
      }
    }
    const keyOf = new Map(
      request.criteria.map((criterion) => [
        criterion.id,
        verdictCacheKey({
          prompt: request.prompt,
          response: request.response,
          criterion,
          model: cfg.model,
          promptVersion: JUDGE_PROMPT_VERSION,
          mode: cfg.mode,
        }),
      ]),
    );
    const verdicts = new Map<string, Verdict>();
    const misses: ResolvedCriterion[] = [];
    for (const criterion of request.criteria) {
      const hit = await cache.get(keyOf.get(criterion.id)!);
      if (hit === undefined) misses.push(criterion);
      else verdicts.set(criterion.id, hit);
    }
    stats.cacheHits += verdicts.size;
    stats.cacheMisses += misses.length;
    if (misses.length > 0) {
      const ctx: GradeContext = {
        client,
        stats,
        log,
        evaluator: `judge:${cfg.model}`,
        drawNonce: deps.nonce ?? randomNonce,
        settle: async ({ criterion, outcome }) => {
          if (!outcome.cacheable) return;
          await cache.put({
            key: keyOf.get(criterion.id)!,
            verdict: outcome.verdict,
            model: cfg.model,
            promptVersion: JUDGE_PROMPT_VERSION,
          });
        },
      };
      const graded = await grade({ ctx, request, criteria: misses });
      for (const [id, outcome] of graded) verdicts.set(id, outcome.verdict);
    }
    const result = request.criteria.map((c) => verdicts.get(c.id)!);
    stats.unscorable += result.filter((v) => v.status === 'unscorable').length;
    return result;
  }

  return { judge, stats: () => ({ ...stats }) };
}

/**
 * `createJudge(loadJudgeConfig(path))`: what a command's `--judge <config file>` option does. The
 * environment (`deps.env`, else `process.env`) supplies the key and the URL/model overrides.
 */
export function createJudgeFromFile(path: string, deps: JudgeDeps = {}): MeteredRubricJudge {
  return createJudge(loadJudgeConfig(path, { env: deps.env ?? process.env }), deps);
}
