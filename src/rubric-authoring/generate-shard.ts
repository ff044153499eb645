import type { Logger } from 'pino';
import { z } from 'zod';
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

/** The judge config with the shard's rate: the lower of the config's and `requestsPerSecond`. */
export function shardJudgeConfig(options: {
  judgeConfig: Record<string, unknown>;
  requestsPerSecond: number | null;
}): JudgeConfig {
  const parsed = JudgeConfig.safeParse(options.judgeConfig);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`rubric generation's judge config: ${issue.message}`, {
      location: { field: issue.path.join('.') || '(config)' },
    });
  }
  const config = parsed.data;
  const rate = options.requestsPerSecond;
  if (rate === null) return config;
  return { ...config, maxRequestsPerSecond: Math.min(config.maxRequestsPerSecond ?? rate, rate) };
}

export async function generateShard(options: {
  input: RubricShardInput;
  store: ArtifactStore;
  verifiers: VerifierRegistry;
  client: GeneratorClientFactory;
  log: Logger;
  /** After each prompt of the slice, with the counts so far; throws to stop (cancellation). */
  progress: (counts: RubricGenerationCounts & { done: number }) => void;
}): Promise<RubricShardResult> {
  const { input, store } = options;
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
  });
  const { client, stats } = options.client({ config, log });
  const counts = { generated: 0, skipped: 0, rejected: 0, failed: 0, done: 0 };
  log.info(
    { prompts: prompts.length, start: input.start, maxRequestsPerSecond: config.maxRequestsPerSecond },
    'rubric shard started',
  );
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
      options.progress({ ...counts });
      if (outcome.status === 'generated') {
        await failpoint('rubrics.prompt-written', { shard, written: counts.generated });
      }
    },
  });
  const failedPrompts: FailedPrompt[] = summary.outcomes
    .flatMap((o) => (o.status === 'failed' ? [{ promptId: o.promptId, error: o.error }] : []))
    .slice(0, MAX_FAILED_LISTED);
  const result = {
    shard,
    generated: summary.generated,
    skipped: summary.skipped,
    rejected: summary.rejected,
    failed: summary.failed,
    failedPrompts,
    requests: stats.requests,
  };
  log.info({ ...result, failedPrompts: undefined }, 'rubric shard done');
  return result;
}
