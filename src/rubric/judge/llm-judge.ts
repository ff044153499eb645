import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ValidationError } from '../../util/errors.ts';
import { formatFieldPath } from '../../util/field-path.ts';
import { logger } from '../../util/logger.ts';
import type { ResolvedCriterion } from '../resolve.ts';
import type { Verdict } from '../verdict.ts';
import { ChatClient } from './chat-client.ts';
import { combineSamples } from './combine-samples.ts';
import { JudgeConfig, type JudgeConfigInput, loadJudgeConfig } from './config.ts';
import type { GradeContext, GradeMode } from './grading.ts';
import { emptyJudgeStats, judgeApiKey } from './judge-credentials.ts';
import { judgeFetch } from './judge-fetch.ts';
import { gradePerCriterion } from './per-criterion-mode.ts';
import { JUDGE_PROMPT_VERSION, randomNonce } from './prompts.ts';
import { gradeRubric } from './rubric-mode.ts';
import type { JudgeRequest, MeteredRubricJudge } from './types.ts';
import { VerdictCache, verdictCacheKey } from './verdict-cache.ts';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** A promise settled from outside; a rejection nobody awaits is not an unhandled one. */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

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
 * can, or from a concurrent call grading the same (prompt, response, criterion) (counted as cache
 * hits); the rest are graded in the configured mode. With `samples` k > 1 each criterion (or rubric)
 * is asked k times, each sample cached, shared and budgeted on its own, and the criterion's verdict
 * combines them (`combine-samples.ts`: the mean of the scored ones). A request the model's context cannot hold
 * ends as an `unscorable` verdict (not cached). Malformed replies end as `unscorable` verdicts
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
  const apiKey = judgeApiKey(cfg, env);
  const log = deps.log ?? logger('judge');
  const stats = emptyJudgeStats();

  const client = new ChatClient({
    config: cfg,
    apiKey,
    stats,
    deps: {
      fetch: deps.fetch ?? judgeFetch,
      sleep: deps.sleep ?? ((ms) => delay(ms)),
      random: deps.random ?? Math.random,
      now: deps.now ?? Date.now,
      log,
    },
  });
  const cache = new VerdictCache({ dir: cfg.cacheDir, log });
  const grade = GRADE_MODES[cfg.mode];
  const inflight = new Map<string, Promise<Verdict>>();
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
    // One cache key per sample of each criterion: each sample is looked up, shared, graded and
    // cached on its own, so a retry pays only for the samples not yet answered.
    const keysOf = new Map(
      request.criteria.map((criterion) => [
        criterion.id,
        Array.from({ length: cfg.samples }, (_, sample) =>
          verdictCacheKey({
            prompt: request.prompt,
            response: request.response,
            criterion,
            model: cfg.model,
            promptVersion: JUDGE_PROMPT_VERSION,
            mode: cfg.mode,
            sample,
          }),
        ),
      ]),
    );
    const keyOf = (criterionId: string, sample: number) => keysOf.get(criterionId)![sample]!;
    // A sample another call is grading right now (an identical response elsewhere in the batch) is
    // awaited, not paid for twice. This call owns the rest until it has looked them up or graded them.
    const verdicts = new Map<string, Verdict>(); // by cache key: one verdict per sample
    const shared = new Map<string, Promise<Verdict>>();
    const owned = new Map<string, { criterion: ResolvedCriterion; sample: number; d: Deferred<Verdict> }>();
    for (const criterion of request.criteria) {
      keysOf.get(criterion.id)!.forEach((key, sample) => {
        if (owned.has(key) || shared.has(key)) return;
        const running = inflight.get(key);
        if (running !== undefined) shared.set(key, running);
        else {
          const d = deferred<Verdict>();
          inflight.set(key, d.promise);
          owned.set(key, { criterion, sample, d });
        }
      });
    }
    const release = (key: string, outcome: { verdict: Verdict } | { error: unknown }) => {
      const d = owned.get(key)?.d;
      if (d === undefined || inflight.get(key) !== d.promise) return;
      inflight.delete(key);
      if ('verdict' in outcome) d.resolve(outcome.verdict);
      else d.reject(outcome.error);
    };
    try {
      // The criteria each sample still needs graded: one grading round per sample index.
      const misses = new Map<number, ResolvedCriterion[]>();
      let missed = 0;
      for (const [key, { criterion, sample }] of owned) {
        const hit = await cache.get(key);
        if (hit === undefined) {
          misses.set(sample, [...(misses.get(sample) ?? []), criterion]);
          missed++;
        } else {
          verdicts.set(key, hit);
          release(key, { verdict: hit });
        }
      }
      stats.cacheHits += owned.size - missed + shared.size;
      stats.cacheMisses += missed;
      const contextOf = (sample: number): GradeContext => ({
        client,
        stats,
        log,
        evaluator: `judge:${cfg.model}`,
        reasonMaxChars: cfg.reasonMaxChars,
        drawNonce: deps.nonce ?? randomNonce,
        settle: async ({ criterion, outcome }) => {
          const key = keyOf(criterion.id, sample);
          if (outcome.cacheable) {
            await cache.put({
              key,
              verdict: outcome.verdict,
              model: cfg.model,
              promptVersion: JUDGE_PROMPT_VERSION,
            });
          }
          release(key, { verdict: outcome.verdict });
        },
      });
      // The samples are graded at once (the client's semaphore bounds the requests), and each runs
      // to the end even when another fails, so whatever was paid for is cached before the error
      // reaches the caller.
      const rounds = await Promise.allSettled(
        [...misses].map(async ([sample, criteria]) => {
          const graded = await grade({ ctx: contextOf(sample), request, criteria });
          for (const [id, outcome] of graded) {
            const key = keyOf(id, sample);
            verdicts.set(key, outcome.verdict);
            release(key, { verdict: outcome.verdict });
          }
        }),
      );
      const failed = rounds.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      // Only now, with every verdict this call owns released, wait for the ones others own.
      for (const [key, verdict] of shared) verdicts.set(key, await verdict);
    } catch (error) {
      // Whoever waits on a verdict this call owned fails with it (and retries, as this caller will).
      for (const key of owned.keys()) release(key, { error });
      throw error;
    }
    const result = request.criteria.map((c) =>
      combineSamples({ samples: keysOf.get(c.id)!.map((key) => verdicts.get(key)!) }),
    );
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
