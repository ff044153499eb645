import { defineQuery } from '@temporalio/workflow';
import type { JudgeAllowance, JudgeBudget, JudgeUsage } from './judge-budget.ts';
import type { TaskQueues } from './task-queues.ts';
import type { Timing } from './timing.ts';

/**
 * Durable rubric generation (`anchorage rubrics generate --durable`): the workflow's input, result
 * and progress, and the shard activity's, declared once for the workflow
 * (workflows/rubric-generation.ts), the activity (activities/generate-rubric-shard.ts) and the client
 * (src/client/rubric-generation-client.ts). Plain data: the prompts travel as a store address and a
 * count, never as text, and the judge config names its key's environment variable, never the key.
 */

/** Prompts stored once, content-addressed: a JSON-lines object of PromptRecords, in order. */
export interface StoredPrompts {
  address: string;
  count: number;
}

/** What every shard of one generation is asked with (the workflow passes it on unchanged). */
export interface RubricGenerationJob {
  prompts: StoredPrompts;
  /**
   * The judge config as validated by the client (src/rubric/judge/config.ts `JudgeConfig`), checked
   * again by the activity. `apiKeyEnv` names the variable the judge workers read the key from.
   */
  judgeConfig: Record<string, unknown>;
  /** Folder the rubric files and rejects.jsonl go to; the judge workers must see it at this path. */
  outDir: string;
  /** Verifier names offered to the model. */
  verifierNames: string[];
  /** Store address of the dataset criteria a generated one must not repeat (JSON array), or null. */
  reference: string | null;
  /** Near-duplicate threshold (word-bigram Jaccard). */
  threshold: number;
  /** Bounds on the answer's schema (`--max-chars`), or null. */
  bounds: { chars: number; criteria: number } | null;
}

export interface RubricGenerationInput {
  job: RubricGenerationJob;
  /** Prompts per shard activity. */
  shardSize: number;
  /** Shard activities at once (each asks for one prompt at a time). */
  parallelShards: number;
  /**
   * Requests per second over the whole generation (the judge config's `maxRequestsPerSecond`), or
   * null for none: each of the shards running at once paces its client at this rate / their number.
   */
  requestsPerSecond: number | null;
  /**
   * Judge requests and tokens the whole generation may spend (the judge config's `requestBudget` and
   * `tokenBudget`): each shard gets a share of what is left as its allowance. Absent in inputs
   * written before the budget held for the generation: each shard attempt then has the config's.
   */
  budget?: JudgeBudget;
  taskQueues: TaskQueues;
  timing: Timing;
  /** Shards finished before the workflow continues as new (keeps each history short). */
  shardsPerRun: number;
  /** Present when the generation continued as new: where it goes on and what it counted so far. */
  carried?: {
    nextShard: number;
    totals: RubricGenerationCounts;
    failedPrompts: FailedPrompt[];
    continuedAsNew: number;
    /** What the finished shards spent (absent in inputs written before it was kept). */
    used?: JudgeUsage;
  };
}

export interface RubricGenerationCounts {
  generated: number;
  skipped: number;
  rejected: number;
  failed: number;
  /** Prompts not asked because the judge budget was spent: nothing written, a rerun asks them. */
  unasked: number;
}

/** Prompts whose request failed (transport, server error): not recorded, so a rerun asks again. */
export interface FailedPrompt {
  promptId: string;
  error: string;
}

/** Shards per workflow execution before it continues as new, unless the client says otherwise. */
export const DEFAULT_RUBRIC_SHARDS_PER_RUN = 200;

/** At most this many failed prompts are carried in results (the counts hold them all). */
export const MAX_FAILED_LISTED = 20;

export interface RubricGenerationResult extends RubricGenerationCounts {
  prompts: number;
  shards: number;
  outDir: string;
  /** The first failed prompts (MAX_FAILED_LISTED at most). */
  failedPrompts: FailedPrompt[];
  continuedAsNew: number;
  /** True when the judge budget ran out and `unasked` prompts were left for a rerun. */
  budgetSpent: boolean;
  /** Requests and tokens every shard spent (retries and repairs included). */
  used: JudgeUsage;
  /** The generation's budget (null when its input had none). */
  budget: JudgeBudget | null;
}

/** One shard: prompts [start, end) of the stored file, paced at `requestsPerSecond` (null: no limit). */
export interface RubricShardInput {
  generationId: string;
  job: RubricGenerationJob;
  shard: number;
  start: number;
  end: number;
  requestsPerSecond: number | null;
  /**
   * The shard's share of the generation's budget, for all its attempts together (absent: the judge
   * config's limits, per attempt).
   */
  allowance?: JudgeAllowance;
}

export interface RubricShardResult extends RubricGenerationCounts {
  shard: number;
  failedPrompts: FailedPrompt[];
  /** HTTP requests this attempt sent (retries and repairs included). */
  requests: number;
  /** What the shard spent, earlier attempts included (from their heartbeats). */
  used: JudgeUsage;
  /**
   * Where the shard stopped when its allowance ran out: the prompts [unaskedFrom, end) are its
   * `unasked` ones. Absent when it went through its slice.
   */
  unaskedFrom?: number;
}

/**
 * A shard activity's heartbeat details: the prompts of its slice done by this attempt, and the
 * requests and tokens the shard spent so far (earlier attempts included), which a retry counts as
 * spent.
 */
export interface RubricShardProgress extends RubricGenerationCounts {
  shard: number;
  done: number;
  prompts: number;
  requests: number;
  tokens: number;
}

/** The generation's progress, for `anchorage rubrics generate --durable` to show. */
export interface RubricGenerationProgress extends RubricGenerationCounts {
  prompts: number;
  shards: number;
  shardsDone: number;
  shardsRunning: number;
  continuedAsNew: number;
  /** What the finished shards spent so far, and the budget (null: none). */
  used: JudgeUsage;
  budget: JudgeBudget | null;
}

export const rubricGenerationProgressQuery =
  defineQuery<RubricGenerationProgress>('rubricGenerationProgress');

/** Prompt ranges [start, end) of the shards of `count` prompts, `size` each (the last may be shorter). */
export function rubricShards(count: number, size: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < count; start += size) out.push({ start, end: Math.min(count, start + size) });
  return out;
}
