import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import {
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  DEFAULT_RUBRIC_SHARDS_PER_RUN,
  type RubricGenerationInput,
  type RubricGenerationJob,
  type RubricGenerationProgress,
  rubricGenerationProgressQuery,
} from '../contracts/rubric-generation.ts';
import type { TaskQueues } from '../contracts/task-queues.ts';
import { RUBRIC_GENERATION_WORKFLOW, type RubricGenerationWorkflow } from '../contracts/workflow-types.ts';
import { DEFAULT_TIMING, type Timing } from '../contracts/timing.ts';
import { formatPromptLines } from '../data/jsonl-source.ts';
import type { PromptRecord } from '../data/prompt-record.ts';
import type { JudgeConfig } from '../rubric/judge/config.ts';
import type { ArtifactStore } from '../store/store.ts';

/**
 * Starts a durable rubric generation (workflows/rubric-generation.ts), or attaches to the one already
 * running for the same output folder: its workflow id derives from the folder (or is given), the
 * start asks the server to use an existing running execution of that id, and a finished one may run
 * again (it then skips every prompt already written). The prompts and the dataset criteria go into
 * the artifact store first, so the workflow input holds their addresses only.
 */

/** The workflow id of the generation writing to `outDir`: `rubrics-<folder name>-<hash of its path>`. */
export function rubricGenerationId(outDir: string): string {
  const path = resolve(outDir);
  const name = basename(path)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 60);
  return `rubrics-${name}-${createHash('sha256').update(path).digest('hex').slice(0, 12)}`;
}

/** The memo a generation is started with: what `attached` compares a rerun's prompts against. */
const PROMPTS_MEMO = 'promptsAddress';

export interface StartedGeneration {
  generationId: string;
  input: RubricGenerationInput;
  handle: WorkflowHandleWithFirstExecutionRunId<RubricGenerationWorkflow>;
  /** True when a running generation of this id was found and followed instead of starting one. */
  attached: boolean;
  /** With `attached`: the running one was started with other prompts (its input holds). */
  otherPrompts: boolean;
}

/** What a rubric generation is asked to do: the prompts, the judge, and how to shard them. */
export interface RubricGenerationRequest {
  prompts: readonly PromptRecord[];
  /** Criteria of dataset rubrics a generated one must not repeat. */
  reference: readonly { ref: string; description: string }[];
  judge: JudgeConfig;
  outDir: string;
  verifierNames: readonly string[];
  threshold: number;
  bounds?: { chars: number; criteria: number } | undefined;
  shardSize: number;
  /** Default: the judge config's `concurrency`. */
  parallelShards?: number | undefined;
  taskQueues: TaskQueues;
  timing?: Timing;
  /** Default: `rubricGenerationId(outDir)`. */
  generationId?: string | undefined;
  shardsPerRun?: number;
}

export async function startRubricGeneration(
  options: RubricGenerationRequest & { client: Client; store: ArtifactStore },
): Promise<StartedGeneration> {
  const { client, store, judge } = options;
  const outDir = resolve(options.outDir);
  const generationId = options.generationId ?? rubricGenerationId(outDir);
  const stored = await store.putBytes(new TextEncoder().encode(formatPromptLines(options.prompts)));
  const reference = options.reference.length === 0 ? null : (await store.putJson(options.reference)).address;
  const job: RubricGenerationJob = {
    prompts: { address: stored.address, count: options.prompts.length },
    // The validated config: `apiKeyEnv` names the variable, the key itself is never part of it.
    judgeConfig: { ...judge },
    outDir,
    verifierNames: [...options.verifierNames],
    reference,
    threshold: options.threshold,
    bounds: options.bounds ?? null,
  };
  const input: RubricGenerationInput = {
    job,
    shardSize: options.shardSize,
    parallelShards: options.parallelShards ?? judge.concurrency,
    requestsPerSecond: judge.maxRequestsPerSecond ?? null,
    // The config's budgets hold for the whole generation (each shard gets a share of what is left).
    budget: {
      requests: judge.requestBudget,
      ...(judge.tokenBudget === undefined ? {} : { tokens: judge.tokenBudget }),
    },
    taskQueues: options.taskQueues,
    timing: options.timing ?? DEFAULT_TIMING,
    shardsPerRun: options.shardsPerRun ?? DEFAULT_RUBRIC_SHARDS_PER_RUN,
  };
  const running = await runningPromptsAddress(client, generationId);
  const handle = await client.workflow.start<RubricGenerationWorkflow>(RUBRIC_GENERATION_WORKFLOW, {
    workflowId: generationId,
    taskQueue: options.taskQueues.workflow,
    args: [input],
    memo: { [PROMPTS_MEMO]: stored.address },
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  return {
    generationId,
    input,
    handle,
    attached: running !== undefined,
    otherPrompts: running !== undefined && running !== stored.address,
  };
}

/** The prompts address of the running generation `generationId`, or undefined when none runs. */
async function runningPromptsAddress(client: Client, generationId: string): Promise<string | undefined> {
  try {
    const described = await client.workflow.getHandle(generationId).describe();
    if (described.status.name !== 'RUNNING') return undefined;
    return String(described.memo?.[PROMPTS_MEMO] ?? '');
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The generation's progress (needs a worker of its workflow queue to answer). */
export function queryGenerationProgress(
  client: Client,
  generationId: string,
): Promise<RubricGenerationProgress> {
  return client.workflow.getHandle(generationId).query(rubricGenerationProgressQuery);
}
