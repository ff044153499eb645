import type { Logger } from 'pino';
import { z } from 'zod';
import {
  addUsage,
  allowanceLeft,
  type JudgeAllowance,
  type JudgeUsage,
  NO_USAGE,
} from '../contracts/judge-budget.ts';
import {
  type FailedPrompt,
  MAX_FAILED_LISTED,
  type RubricGenerationCounts,
  type RubricShardInput,
  type RubricShardResult,
} from '../contracts/rubric-generation.ts';
import { PromptRecord } from '../data/prompt-record.ts';
import type { ChatClient } from '../rubric/judge/chat-client.ts';
import { JudgeConfig } from '../rubric/judge/config.ts';
import { judgeUsage, limitJudgeConfig } from '../rubric/judge/limits.ts';
import type { JudgeStats } from '../rubric/judge/types.ts';
import type { VerifierRegistry } from '../rubric/verifiers/registry.ts';
import type { ArtifactStore } from '../store/store.ts';
import { ValidationError } from '../util/errors.ts';
import { failpoint } from '../util/failpoints.ts';
import { parseJsonl } from '../util/jsonl.ts';
import { generateRubrics, type PromptOutcome } from './generate.ts';

/**
 * One shard of a durable generation (workflows/rubric-generation.ts): prompts [start, end) of the
 * stored prompts file, through `generateRubrics` one prompt at a time, with the client paced at the
 * shard's share of the generation's rate. Idempotent: a retried shard skips the prompts that have a
 * rubric file or a reject line (generateRubrics' resume), so no prompt written is asked again.
 *
 * With an `allowance` (the shard's share of the generation's budget), the client may spend that
 * less what earlier attempts spent (`usedBefore`, from their heartbeats); once it refuses a request
 * the shard stops, and the prompts from there to the slice's end are `unasked` (`unaskedFrom`). The
 * result's `used` is the shard's whole spend: earlier attempts' and this one's.
 */

/** Makes the generator's HTTP client for a judge config (the key from the worker's environment). */
export type GeneratorClientFactory = (options: { config: JudgeConfig; log: Logger }) => {
  client: ChatClient;
  stats: JudgeStats;
};

const ReferenceCriteria = z.array(z.object({ ref: z.string(), description: z.string() }));

/** The stored prompts files this process read last (a worker runs the shards of one generation). */
const promptFiles = new Map<string, PromptRecord[]>();
const KEEP_PROMPT_FILES = 2;

async function storedPrompts(store: ArtifactStore, address: string): Promise<PromptRecord[]> {
  const cached = promptFiles.get(address);
  if (cached !== undefined) return cached;
  const text = new TextDecoder().decode(await store.getBytes(address));
  const records = parseJsonl({ text, file: `store object ${address}`, schema: PromptRecord }).map(
    (l) => l.value,
  );
  promptFiles.set(address, records);
  for (const key of promptFiles.keys()) {
    if (promptFiles.size <= KEEP_PROMPT_FILES) break;
    promptFiles.delete(key);
  }
  return records;
}

/**
 * The judge config of a shard's client: the lower of the config's rate and `requestsPerSecond`, and
 * with an allowance, the lower of the config's budgets and what the allowance has left after
 * `usedBefore`.
 */
export function shardJudgeConfig(options: {
  judgeConfig: Record<string, unknown>;
  requestsPerSecond: number | null;
  allowance?: JudgeAllowance | undefined;
  usedBefore?: JudgeUsage;
}): JudgeConfig {
  const parsed = JudgeConfig.safeParse(options.judgeConfig);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`rubric generation's judge config: ${issue.message}`, {
      location: { field: issue.path.join('.') || '(config)' },
    });
  }
  const { allowance, requestsPerSecond } = options;
  const left =
    allowance === undefined ? {} : allowanceLeft({ allowance, used: options.usedBefore ?? NO_USAGE });
  return limitJudgeConfig({
    config: parsed.data,
    limits: {
      ...(left.requests === undefined ? {} : { requests: left.requests }),
      ...(left.tokens === undefined ? {} : { tokens: left.tokens }),
      ...(requestsPerSecond === null ? {} : { requestsPerSecond }),
    },
  });
}

/** Where a shard stands, for its heartbeat: prompts done so far and what it has spent. */
export interface ShardGenerationProgress extends RubricGenerationCounts {
  done: number;
  /** Requests and tokens spent by the shard so far (earlier attempts included), read when asked. */
  spent: () => JudgeUsage;
}

export async function generateShard(options: {
  input: RubricShardInput;
  store: ArtifactStore;
  verifiers: VerifierRegistry;
  client: GeneratorClientFactory;
  log: Logger;
  /** What earlier attempts of this shard spent (from their heartbeats); counts against the allowance. */
  usedBefore?: JudgeUsage;
  /**
   * Before the first prompt and after each prompt of the slice, with the counts so far; throws to
   * stop (cancellation).
   */
  progress: (progress: ShardGenerationProgress) => void;
}): Promise<RubricShardResult> {
  const { input, store } = options;
  const usedBefore = options.usedBefore ?? NO_USAGE;
  const { job, shard } = input;
  const log = options.log.child({ generationId: input.generationId, shard });
  const all = await storedPrompts(store, job.prompts.address);
  if (all.length !== job.prompts.count) {
    throw new ValidationError(
      `stored prompts ${job.prompts.address} hold ${all.length} prompts; the generation counts ${job.prompts.count}`,
    );
  }
  const prompts = all.slice(input.start, input.end);
  const reference = job.reference === null ? [] : await store.getJson(job.reference, ReferenceCriteria);
  const config = shardJudgeConfig({
    judgeConfig: job.judgeConfig,
    requestsPerSecond: input.requestsPerSecond,
    allowance: input.allowance,
    usedBefore,
  });
  const { client, stats } = options.client({ config, log });
  const spent = (): JudgeUsage => addUsage(usedBefore, judgeUsage(stats));
  const counts = { generated: 0, skipped: 0, rejected: 0, failed: 0, unasked: 0, done: 0 };
  log.info(
    {
      prompts: prompts.length,
      start: input.start,
      maxRequestsPerSecond: config.maxRequestsPerSecond,
      ...(input.allowance === undefined
        ? {}
        : { requestBudget: config.requestBudget, tokenBudget: config.tokenBudget, usedBefore }),
    },
    'rubric shard started',
  );
  options.progress({ ...counts, spent });
  const summary = await generateRubrics({
    prompts,
    client,
    model: config.model,
    outDir: job.outDir,
    verifiers: options.verifiers,
    verifierNames: job.verifierNames,
    reference,
    threshold: job.threshold,
    bounds: job.bounds ?? undefined,
    // One prompt at a time: the shards running at once are the generation's concurrency.
    concurrency: 1,
    log,
    onOutcome: async (outcome: PromptOutcome) => {
      counts[outcome.status]++;
      counts.done++;
      options.progress({ ...counts, spent });
      if (outcome.status === 'generated') {
        await failpoint('rubrics.prompt-written', { shard, written: counts.generated });
      }
    },
  });
  const failedPrompts: FailedPrompt[] = summary.outcomes
    .flatMap((o) => (o.status === 'failed' ? [{ promptId: o.promptId, error: o.error }] : []))
    .slice(0, MAX_FAILED_LISTED);
  // One prompt at a time: once one is unasked, so is every later one of the slice.
  const firstUnasked = summary.outcomes.findIndex((o) => o.status === 'unasked');
  const result: RubricShardResult = {
    shard,
    generated: summary.generated,
    skipped: summary.skipped,
    rejected: summary.rejected,
    failed: summary.failed,
    unasked: summary.unasked,
    failedPrompts,
    requests: stats.requests,
    used: spent(),
    ...(firstUnasked < 0 ? {} : { unaskedFrom: input.start + firstUnasked }),
  };
  log.info({ ...result, failedPrompts: undefined }, 'rubric shard done');
  return result;
}
