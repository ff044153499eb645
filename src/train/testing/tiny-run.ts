import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskQueues } from '../../contracts/task-queues.ts';

/**
 * A training run on the tiny random Llama (2 layers, byte vocabulary, 128-token context, see
 * src/engine/testing/tiny-model.ts) for integration tests and the orchestration benchmark. Its
 * prompts carry verifier-only instance rubrics whose rewards vary within a group from the start, so
 * every step has a learning signal while a step costs well under a second of engine time.
 */

export interface TinyRunOptions {
  dir: string;
  /** Names the task queues, so runs of different tests never share workers by accident. */
  queuePrefix: string;
  steps: number;
  prompts?: number;
  promptsPerStep?: number;
  groupSize?: number;
  maxNewTokens?: number;
  continueAsNewEvery?: number;
  checkpointEvery?: number;
  evaluationEvery?: number;
  /** Evaluation settings beyond `every` (default: 2 prompts, greedy, 8 new tokens). */
  evaluation?: Record<string, unknown>;
  learningRate?: number;
  klCoefficient?: number;
  /** Optimizer steps per training step (`rl.miniBatches`). */
  miniBatches?: number;
  /** One greedy response per group (`rl.greedyMember`). */
  greedyMember?: boolean;
  /** Further `rl` settings, written as given (e.g. overlong handling). */
  rl?: Record<string, unknown>;
  /** Stages (their steps must sum to `steps`) and data selection settings, written as given. */
  stages?: Array<{ name: string; steps: number } & Record<string, unknown>>;
  dataSelection?: Record<string, unknown>;
  /** A judge config file: adds a judged criterion to every prompt's rubric. */
  judgeConfig?: string;
  /** Further `judge` settings of the run (runBudget, rateLimit), written as given. */
  judgeSettings?: Record<string, unknown>;
  /** Criteria of every prompt's instance rubric instead of the default two (a planted hack, say). */
  criteria?: unknown[];
  /** The run's `defence` settings, written as given. */
  defence?: Record<string, unknown>;
  /** The run's `finetune` settings (`{ mode: 'full' }`), written as given. */
  finetune?: Record<string, unknown>;
  modelPath: string;
  storeDir: string;
}

/**
 * A chat template for the tiny byte-level model (evaluation suites give chat prompts); pass it to
 * `writeTinyModel({ chatTemplate })`.
 */
export const TINY_CHAT_TEMPLATE =
  "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

/**
 * Writes IFEval-format prompts short enough for the tiny model's 128-token context (bytes as
 * tokens) to `file`, for the `ifeval` suite's `prompts` setting; returns the file.
 */
export async function writeShortIfevalPrompts(file: string): Promise<string> {
  const prompts = [
    { key: 1, prompt: 'Say hi.', instruction_id_list: ['change_case:english_lowercase'], kwargs: [{}] },
    { key: 2, prompt: 'No commas.', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] },
    { key: 3, prompt: 'Shout it.', instruction_id_list: ['change_case:english_capital'], kwargs: [{}] },
  ];
  await writeFile(file, prompts.map((p) => `${JSON.stringify(p)}\n`).join(''));
  return file;
}

/**
 * Environment for worker processes running the tiny run: one engine thread; rows for one prompt group
 * at a time (the default group size), so groups end (and are committed) one after another; a short
 * shutdown grace.
 */
export const TINY_WORKER_ENV: Readonly<Record<string, string>> = {
  ANCHORAGE_ROLLOUT_BATCH: '4',
  ANCHORAGE_ENGINE_THREADS: '1',
  ANCHORAGE_SHUTDOWN_GRACE_SECONDS: '2',
};

/** Task queues named after `prefix`, so runs of different tests never share workers by accident. */
export function tinyTaskQueues(prefix: string): TaskQueues {
  return {
    workflow: `${prefix}-workflow`,
    rollout: `${prefix}-rollout`,
    judge: `${prefix}-judge`,
    trainer: `${prefix}-trainer`,
  };
}

/** Writes the prompt file and the run configuration; returns the configuration's path. */
export async function writeTinyRun(options: TinyRunOptions): Promise<string> {
  await mkdir(options.dir, { recursive: true });
  const promptsFile = join(options.dir, 'prompts.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < (options.prompts ?? 6); i++) {
    const criteria: unknown[] = options.criteria ?? [
      {
        id: 'letters',
        description: 'At least three ASCII letters.',
        weight: 1,
        passFail: true,
        evaluator: { type: 'verifier', name: 'text.regex', params: { pattern: '[A-Za-z]', minCount: 3 } },
      },
      {
        id: 'no-control',
        description: 'No control characters.',
        weight: 1,
        passFail: true,
        evaluator: {
          type: 'verifier',
          name: 'text.regex',
          params: { pattern: '[\\u0000-\\u0008\\u000e-\\u001f]', must: 'no-match' },
        },
      },
    ];
    if (options.judgeConfig !== undefined) {
      criteria.push({
        id: 'judged-tone',
        description: 'The reply is calm.',
        weight: 0.5,
        passFail: true,
        evaluator: { type: 'judge' },
      });
    }
    lines.push(
      JSON.stringify({
        id: `tiny-${i}`,
        prompt: `Say something ${i}.`,
        rubric: {
          id: `tiny/instance-${i}`,
          version: 1,
          title: `tiny prompt ${i}`,
          scope: 'instance',
          criteria,
        },
      }),
    );
  }
  await writeFile(promptsFile, `${lines.join('\n')}\n`);
  const config = {
    name: 'tiny',
    seed: 3,
    model: { path: options.modelPath, name: 'tiny-llama' },
    lora: { rank: 4, alpha: 8 },
    ...(options.finetune === undefined ? {} : { finetune: options.finetune }),
    prompts: { sources: [{ type: 'jsonl', name: 'tiny', file: promptsFile, role: 'both' }] },
    ...(options.judgeConfig === undefined
      ? {}
      : { judge: { config: options.judgeConfig, ...options.judgeSettings } }),
    rl: {
      groupSize: options.groupSize ?? 4,
      promptsPerStep: options.promptsPerStep ?? 2,
      learningRate: options.learningRate ?? 1e-2,
      klCoefficient: options.klCoefficient ?? 0,
      maxNewTokens: options.maxNewTokens ?? 12,
      ...(options.miniBatches === undefined ? {} : { miniBatches: options.miniBatches }),
      ...(options.greedyMember === undefined ? {} : { greedyMember: options.greedyMember }),
      ...options.rl,
    },
    steps: options.steps,
    ...(options.stages === undefined ? {} : { stages: options.stages }),
    ...(options.dataSelection === undefined ? {} : { dataSelection: options.dataSelection }),
    ...(options.defence === undefined ? {} : { defence: options.defence }),
    checkpointEvery: options.checkpointEvery ?? 2,
    evaluation: {
      every: options.evaluationEvery ?? 0,
      maxPrompts: 2,
      maxNewTokens: 8,
      ...options.evaluation,
    },
    temporal: {
      continueAsNewEvery: options.continueAsNewEvery ?? 20,
      taskQueues: tinyTaskQueues(options.queuePrefix),
    },
    store: { path: options.storeDir },
  };
  const file = join(options.dir, 'run.yaml');
  // JSON is YAML.
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
