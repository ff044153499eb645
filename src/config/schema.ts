import { z } from 'zod';
import { DEFAULT_TASK_QUEUES, TASK_QUEUE_NAME } from '../contracts/task-queues.ts';
import { SUITE_AT } from '../contracts/evaluation-suites.ts';
import { PromptId } from '../data/prompt-record.ts';
import { PromptSourceConfig, SourceName, sourceName } from '../data/sources.ts';
import { LoraConfigSchema } from '../models/llama/lora.ts';
import { RubricId } from '../rubric/schema.ts';
import { S3BucketName, S3Endpoint, S3KeyPrefix } from '../store/store-location.ts';
import { DefenceSettings } from './defence.ts';
import { FinetuneSettings } from './finetune.ts';
import { JudgeRateLimit, JudgeRunBudget } from './judge-run-settings.ts';
import { dynamicSamplingProblem, RlOverrides, RlSettings, withoutDefaults } from './rl.ts';
import { AdvanceWhenSettings, advanceWhenProblem } from './stage-advance.ts';

/**
 * The run configuration: one YAML file, validated here. Every field has a default except what only
 * the user can know; relative paths are resolved against the file's folder by `loadRunConfig`.
 * Top-level fields: name, seed, model, lora, prompts, rubrics, judge, rl, steps, checkpointEvery, finetune,
 * evaluation, stages, dataSelection, defence (src/config/defence.ts), temporal, store. `rl` (src/config/rl.ts) holds the RL
 * hyperparameters and DAPO's options: overlong handling, and dynamic sampling
 * (`rl.dynamicSampling: { maxRounds, promptsPerRound }`, off when absent: a step whose groups lack
 * reward variance draws refill rounds of further prompts until `promptsPerStep` groups vary or
 * `maxRounds` ran; it needs `dropZeroVarianceGroups`).
 */

/** Most training steps a configuration may ask for: more is a typo, not a plan. */
export const MAX_STEPS = 1_000_000;

const Name = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,63}$/,
    'lower-case letters, digits and . _ - (at most 64, starting with a letter or digit)',
  );
const TaskQueue = z.string().regex(TASK_QUEUE_NAME, 'a task-queue name (letters, digits, . _ -)');

export const ModelSettings = z.strictObject({
  /** A GGUF file or a Hugging Face folder; `default`: the bundled SmolLM2-135M-Instruct. */
  path: z.string().min(1).default('default'),
  /** Shown in the Web UI (search attribute ModelName); default: the file or folder name. */
  name: z.string().min(1).max(200).optional(),
});

/** LoRA rank, alpha and target projections (q, k, v, o, gate, up, down). */
export const LoraSettings = z.strictObject({
  ...LoraConfigSchema.shape,
  dropout: z.number().min(0).lt(1).default(0),
});

/** Which prompts a rubric rule applies to: all conditions given must hold; none given means all prompts. */
export const PromptSelector = z.strictObject({
  ids: z.array(PromptId).min(1).optional(),
  /** The prompt has at least one of these tags. */
  tags: z.array(z.string().min(1)).min(1).optional(),
  /** The prompt comes from one of these sources (by name). */
  sources: z.array(SourceName).min(1).optional(),
  /** The prompt has none of these tags. */
  excludeTags: z.array(z.string().min(1)).min(1).optional(),
});
export type PromptSelector = z.infer<typeof PromptSelector>;

export const RubricRule = z.strictObject({
  rubric: RubricId,
  /** Weight of this rubric's reward among the rubrics of a prompt. */
  weight: z.number().positive().default(1),
  prompts: PromptSelector.default({}),
});
export type RubricRule = z.infer<typeof RubricRule>;

export const RubricSettings = z.strictObject({
  /** Rubric files and folders; default `ANCHORAGE_RUBRICS` or the bundled `rubrics/`. */
  corpus: z.array(z.string().min(1)).min(1).optional(),
  /** Weight of each prompt's own instance rubric; 0 leaves instance rubrics out. */
  instanceWeight: z.number().min(0).default(1),
  /** Rubrics attached to prompts by id, tag or source. */
  apply: z.array(RubricRule).default([]),
});

export const JudgeSettings = z.strictObject({
  /** A judge config file (see src/rubric/judge/config.ts); the key comes from its apiKeyEnv. */
  config: z.string().min(1),
  /** What the whole run may spend on the judge; spent, the run pauses until it is raised. */
  runBudget: JudgeRunBudget.optional(),
  /** Judge requests per second over the whole run (all judge workers together). */
  rateLimit: JudgeRateLimit.optional(),
});

/**
 * An `anchorage eval` suite run on every evaluated checkpoint, on a rollout worker (ifeval, style:
 * greedy answers; perplexity: log-probs of fixed texts); its summary numbers go into the run's
 * metrics as `eval/<suite>/<key>`. The name is checked against the suite registry
 * (src/eval/suites.ts) when the run is planned.
 */
export const EvaluationSuiteSettings = z.strictObject({
  name: Name,
  /** Only the first N prompts of the suite (a quicker look on every checkpoint). */
  limit: z.number().int().positive().optional(),
  /** Suites that generate answers: new-token limit of each; default: the suite's own. */
  maxNewTokens: z.number().int().min(1).max(32_768).optional(),
  /** Suites that score fixed texts (perplexity): tokens per scored chunk; default: the suite's own. */
  chunkTokens: z.number().int().min(2).max(32_768).optional(),
  /** Another input file in the suite's format (as `anchorage eval --prompts`). */
  prompts: z.string().min(1).optional(),
  /** Which evaluations run it: `every` one, the run's `last`, or its `ends` (step 0 and the last). */
  at: z.enum(SUITE_AT).default('every'),
});
export type EvaluationSuiteSettings = z.infer<typeof EvaluationSuiteSettings>;

export const EvaluationSettings = z.strictObject({
  /** Evaluate every N steps (and after the last); 0 turns evaluation off. */
  every: z.number().int().min(0).default(0),
  /** Sources to evaluate on; default: every source with role eval or both. */
  sources: z.array(SourceName).min(1).optional(),
  maxPrompts: z.number().int().positive().default(100),
  samplesPerPrompt: z.number().int().positive().default(1),
  /** 0: greedy. */
  temperature: z.number().min(0).max(5).default(0),
  /** Default: rl.maxNewTokens. */
  maxNewTokens: z.number().int().min(1).max(32_768).optional(),
  /** Evaluation suites (ifeval, ...) run on the checkpoint besides the held-out prompts. */
  suites: z.array(EvaluationSuiteSettings).default([]),
});

/** Data selection: score the policy's answers, keep prompts whose mean reward is in a central quantile band. */
export const DataSelectionSettings = z.strictObject({
  enabled: z.boolean().default(false),
  /** Keep prompts whose mean reward lies between these quantiles of all prompts' mean rewards. */
  lowerQuantile: z.number().min(0).max(1).default(0.1),
  upperQuantile: z.number().min(0).max(1).default(0.9),
  samplesPerPrompt: z.number().int().min(1).default(4),
  /** Score at most this many prompts per selection. */
  maxPrompts: z.number().int().positive().optional(),
  /** Select once before training, or again before each stage. */
  when: z.enum(['once', 'each-stage']).default('each-stage'),
});
export const DataSelectionOverrides = z.strictObject(
  withoutDefaults(DataSelectionSettings.shape),
) as unknown as z.ZodType<Partial<z.infer<typeof DataSelectionSettings>>>;

/** A training stage: its own length, prompts, rubrics and hyperparameter changes. */
export const StageSettings = z.strictObject({
  name: Name,
  description: z.string().optional(),
  steps: z.number().int().positive().max(MAX_STEPS),
  /** Training sources of this stage (by name); default every source with role train or both. */
  sources: z.array(SourceName).min(1).optional(),
  /** Replaces the run's rubric rules during this stage. */
  rubrics: z
    .strictObject({ instanceWeight: z.number().min(0).optional(), apply: z.array(RubricRule).optional() })
    .optional(),
  rl: RlOverrides.optional(),
  dataSelection: DataSelectionOverrides.optional(),
  /** End the stage early once a recorded metric reaches a threshold; `steps` stays its longest length. */
  advanceWhen: AdvanceWhenSettings.optional(),
});
export type StageSettings = z.infer<typeof StageSettings>;

export const TemporalSettings = z.strictObject({
  /** Default: `TEMPORAL_ADDRESS` or localhost:7233, read when the run starts. */
  address: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  taskQueues: z
    .strictObject({
      workflow: TaskQueue.default(DEFAULT_TASK_QUEUES.workflow),
      rollout: TaskQueue.default(DEFAULT_TASK_QUEUES.rollout),
      judge: TaskQueue.default(DEFAULT_TASK_QUEUES.judge),
      trainer: TaskQueue.default(DEFAULT_TASK_QUEUES.trainer),
    })
    .prefault({}),
  /** Continue the training workflow as new every N steps, keeping its history short. */
  continueAsNewEvery: z.number().int().positive().default(20),
});

const LocalStoreSettings = z.strictObject({
  type: z.literal('local').optional(),
  /** Default: `ANCHORAGE_STORE_DIR`, else `<data dir>/store` (`ANCHORAGE_DATA_DIR`, else run-data/). */
  path: z.string().min(1).optional(),
});

const S3StoreSettings = z.strictObject({
  type: z.literal('s3'),
  bucket: S3BucketName,
  prefix: S3KeyPrefix.default(''),
  /** An S3-compatible server (MinIO, Ceph); default `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, else AWS. */
  endpoint: S3Endpoint.optional(),
  /** Default `AWS_REGION`, else us-east-1. */
  region: z.string().min(1).optional(),
  /** The local read-through object cache; default `ANCHORAGE_STORE_CACHE`, else `<data dir>/store-cache`. */
  cache: z.string().min(1).optional(),
});

/**
 * Where the artifact store is. Without `type`, the environment decides (src/config/store-env.ts):
 * `ANCHORAGE_STORE_URL=s3://bucket/prefix`, else the folder `ANCHORAGE_STORE_DIR`, else
 * `<data dir>/store`. `type: s3` names a bucket; its credentials come from the environment only
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from this file.
 */
export const StoreSettings = z.discriminatedUnion('type', [LocalStoreSettings, S3StoreSettings], {
  error: "a store type: local or s3 (left out: the environment's store)",
});

export const RunConfigSchema = z
  .strictObject({
    /** Run name; training run ids are `<name>-<timestamp>`. */
    name: Name.default('run'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    model: ModelSettings.prefault({}),
    lora: LoraSettings.prefault({}),
    prompts: z
      .strictObject({
        sources: z
          .array(PromptSourceConfig)
          .min(1)
          .prefault([{ type: 'constraint-generator' }]),
        /**
         * Spread the prompts evenly over each epoch by kind: a tag prefix (`constraint:` groups the
         * constraint generator's prompts by their first constraint). Without it, a plain shuffle.
         */
        balanceBy: z.string().min(1).optional(),
      })
      .prefault({}),
    rubrics: RubricSettings.prefault({}),
    judge: JudgeSettings.optional(),
    rl: RlSettings.prefault({}),
    /** Training steps; with stages, the sum of their steps (leave it out, or make it equal). */
    steps: z.number().int().positive().max(MAX_STEPS).optional(),
    checkpointEvery: z.number().int().positive().default(10),
    /** What is trained: `mode: lora` (default, with `lora`) or `full` (src/config/finetune.ts). */
    finetune: FinetuneSettings.prefault({}),
    evaluation: EvaluationSettings.prefault({}),
    stages: z.array(StageSettings).min(1).optional(),
    dataSelection: DataSelectionSettings.prefault({}),
    defence: DefenceSettings.prefault({}),
    temporal: TemporalSettings.prefault({}),
    store: StoreSettings.prefault({}),
  })
  .superRefine((c, ctx) => {
    const names = new Map<string, number>();
    c.prompts.sources.forEach((s, i) => {
      const name = sourceName(s);
      const prior = names.get(name);
      if (prior !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['prompts', 'sources', i, 'name'],
          message: `a source name not used already (prompts.sources[${prior}] is '${name}'); set \`name\``,
        });
      }
      names.set(name, i);
    });
    const known = [...names.keys()];
    const checkNames = (list: readonly string[] | undefined, path: (string | number)[]) => {
      list?.forEach((name, i) => {
        if (!names.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, i],
            message: `a prompt source name: one of ${known.join(', ')}`,
          });
        }
      });
    };
    checkNames(c.evaluation.sources, ['evaluation', 'sources']);
    const suites = new Map<string, number>();
    c.evaluation.suites.forEach((suite, i) => {
      const prior = suites.get(suite.name);
      if (prior !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['evaluation', 'suites', i, 'name'],
          message: `a suite not listed already (evaluation.suites[${prior}] is '${suite.name}')`,
        });
      }
      suites.set(suite.name, i);
      if (suite.at !== 'every' && c.evaluation.every === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['evaluation', 'suites', i, 'at'],
          message: `'every' while evaluation.every is 0 (the run evaluates nothing itself, so '${suite.at}' never comes; scheduled evaluations run every suite)`,
        });
      }
    });
    c.rubrics.apply.forEach((r, i) => {
      checkNames(r.prompts.sources, ['rubrics', 'apply', i, 'prompts', 'sources']);
    });
    const stageNames = new Set<string>();
    c.stages?.forEach((stage, i) => {
      if (stageNames.has(stage.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'name'],
          message: `a stage name not used already ('${stage.name}')`,
        });
      }
      stageNames.add(stage.name);
      checkNames(stage.sources, ['stages', i, 'sources']);
      stage.rubrics?.apply?.forEach((r, j) => {
        checkNames(r.prompts.sources, ['stages', i, 'rubrics', 'apply', j, 'prompts', 'sources']);
      });
      if (stage.advanceWhen !== undefined) {
        const problem = advanceWhenProblem({
          advanceWhen: stage.advanceWhen,
          stageSteps: stage.steps,
          recorded: { evaluationEvery: c.evaluation.every, suites: c.evaluation.suites.map((s) => s.name) },
        });
        if (problem !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', i, 'advanceWhen', problem.field],
            message: problem.message,
          });
        }
      }
    });
    // Dynamic sampling needs its stage to drop zero-variance groups (the run's settings or the stage's).
    const runProblem = dynamicSamplingProblem(c.rl);
    if (c.stages === undefined && runProblem !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['rl', 'dynamicSampling'], message: runProblem });
    }
    c.stages?.forEach((stage, i) => {
      const own = stage.rl ?? {};
      const problem = dynamicSamplingProblem({
        dynamicSampling: own.dynamicSampling ?? c.rl.dynamicSampling,
        dropZeroVarianceGroups: own.dropZeroVarianceGroups ?? c.rl.dropZeroVarianceGroups,
      });
      if (problem === undefined) return;
      const inStage = own.dynamicSampling !== undefined || own.dropZeroVarianceGroups !== undefined;
      ctx.addIssue({
        code: 'custom',
        path: inStage ? ['stages', i, 'rl', 'dynamicSampling'] : ['rl', 'dynamicSampling'],
        message: `${problem} (stage '${stage.name}')`,
      });
    });
    const stageSteps = c.stages?.reduce((n, s) => n + s.steps, 0) ?? 0;
    if (stageSteps > MAX_STEPS) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages'],
        message: `stages whose steps add up to at most ${MAX_STEPS} (they add up to ${stageSteps})`,
      });
    }
    if (c.stages !== undefined && c.steps !== undefined) {
      const total = c.stages.reduce((n, s) => n + s.steps, 0);
      if (total !== c.steps) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps'],
          message: `the sum of the stages' steps (${total}), or no \`steps\` at all when stages are given`,
        });
      }
    }
    if (c.dataSelection.lowerQuantile >= c.dataSelection.upperQuantile) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataSelection', 'upperQuantile'],
        message: 'upperQuantile above lowerQuantile',
      });
    }
  });
export type RunConfigInput = z.input<typeof RunConfigSchema>;
export type ParsedRunConfig = z.output<typeof RunConfigSchema>;

/** Default number of steps when neither `steps` nor stages say. */
export const DEFAULT_STEPS = 100;
