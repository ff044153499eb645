import { type Command, Option } from 'commander';
import { describeSpend, type JudgeBudget, type JudgeUsage } from '../../contracts/judge-budget.ts';
import { readPromptFile } from '../../data/jsonl-source.ts';
import { loadCorpus } from '../../rubric/corpus.ts';
import { generateRubrics } from '../../rubric-authoring/generate.ts';
import { DEFAULT_SIMILARITY } from '../../rubric-authoring/similarity.ts';
import { generatorClient } from '../../rubric-authoring/client.ts';
import { JudgeConfig, loadJudgeConfig } from '../../rubric/judge/config.ts';
import { judgeUsage } from '../../rubric/judge/limits.ts';
import { defaultVerifiers } from '../../rubric/verifiers/index.ts';
import { ValidationError } from '../../util/errors.ts';
import { logger } from '../../util/logger.ts';
import { numberFlag, out } from '../io.ts';
import { generateDurable } from './rubrics-generate-durable.ts';

interface GenerateFlags {
  prompts: string;
  judge: string;
  out: string;
  datasetRubric?: string[];
  similarity: string;
  verifiers: string;
  maxChars?: string;
  maxCriteria: string;
  responseFormat: JudgeConfig['responseFormat'];
  durable?: boolean;
  runId?: string;
  shardSize: string;
  parallelShards?: string;
}

/**
 * Adds `generate` to `anchorage rubrics`: instance rubrics for a prompts file from an
 * OpenAI-compatible model (the judge config's endpoint), validated, de-duplicated, with provenance
 * (src/rubric-authoring/).
 */
export function addRubricsGenerate(rubrics: Command): void {
  rubrics
    .command('generate')
    .description(
      'ask a model for an instance rubric per prompt; validated, near-duplicates removed, provenance recorded; resumable',
    )
    .requiredOption('--prompts <file>', 'prompts (JSON lines, one PromptRecord each)')
    .requiredOption('--judge <config>', 'judge config (YAML): the endpoint, model, key variable, retries')
    .requiredOption('--out <dir>', 'folder for <prompt>.rubric.json files and rejects.jsonl')
    .option('--dataset-rubric <files...>', 'rubric files whose criteria a generated one must not repeat')
    .option(
      '--similarity <x>',
      'word-bigram Jaccard of two descriptions at or above which criteria are near-duplicates',
      String(DEFAULT_SIMILARITY),
    )
    .option('--verifiers <names>', "verifiers offered: 'all', 'none' or comma-separated names", 'all')
    .option('--max-chars <n>', 'bound text fields and counts in the schema sent (for small local models)')
    .option('--max-criteria <n>', 'most criteria per rubric when --max-chars is set', '8')
    .addOption(
      new Option('--response-format <format>', 'what the server is asked to constrain its answer to')
        .choices(JudgeConfig.shape.responseFormat.unwrap().options)
        .default('json_schema'),
    )
    .option(
      '--durable',
      'run as a workflow on Temporal (TEMPORAL_ADDRESS, or a local dev server started for it): shards on the judge queue, retried on lost workers, the rate limit shared; rerunning follows or continues it',
    )
    .option('--run-id <id>', 'with --durable: the workflow id (default: from the --out folder)')
    .option('--shard-size <n>', 'with --durable: prompts per shard activity', '16')
    .option(
      '--parallel-shards <n>',
      "with --durable: shards at once, each asking one prompt at a time (default: the judge config's concurrency)",
    )
    .action((flags: GenerateFlags) => generate(flags));
}

async function generate(flags: GenerateFlags): Promise<void> {
  const threshold = numberFlag(flags.similarity, '--similarity', { min: 0 });
  if (threshold > 1)
    throw new ValidationError(`--similarity: expected a number in [0, 1], got '${flags.similarity}'`);
  if (flags.durable !== true && (flags.runId !== undefined || flags.parallelShards !== undefined)) {
    throw new ValidationError('--run-id and --parallel-shards: only with --durable');
  }
  const loaded = loadJudgeConfig(flags.judge, { env: process.env });
  const config = { ...loaded, responseFormat: flags.responseFormat };
  const verifiers = defaultVerifiers();
  const verifierNames = pickVerifiers(flags.verifiers, verifiers.names(), (n) => verifiers.get(n));
  const bounds =
    flags.maxChars === undefined
      ? undefined
      : {
          chars: numberFlag(flags.maxChars, '--max-chars', { min: 8, integer: true }),
          criteria: numberFlag(flags.maxCriteria, '--max-criteria', { min: 1, integer: true }),
        };
  const reference = loadCorpus(flags.datasetRubric ?? [])
    .all()
    .flatMap((r) =>
      r.value.criteria.map((c) => ({ ref: `${r.value.id}#${c.id}`, description: c.description })),
    );
  const prompts = readPromptFile({ file: flags.prompts }).map((p) => p.record);
  if (flags.durable === true) {
    const result = await generateDurable({
      prompts,
      reference,
      judge: config,
      outDir: flags.out,
      verifierNames,
      threshold,
      bounds,
      shardSize: numberFlag(flags.shardSize, '--shard-size', { min: 1, integer: true }),
      parallelShards:
        flags.parallelShards === undefined
          ? undefined
          : numberFlag(flags.parallelShards, '--parallel-shards', { min: 1, integer: true }),
      generationId: flags.runId,
    });
    if (result === undefined) return;
    for (const f of result.failedPrompts) out(`failed ${f.promptId}: ${f.error}`);
    out(
      `${result.generated} generated, ${result.skipped} skipped (done before), ${result.rejected} rejected (see rejects.jsonl), ${result.failed} failed; ${result.shards} shards -> ${result.outDir}`,
    );
    if (result.budgetSpent) {
      out(budgetSpentLine({ unasked: result.unasked, budget: result.budget ?? {}, used: result.used }));
    }
    if (result.failed > 0) process.exitCode = 1;
    return;
  }
  const log = logger('rubric-generate');
  const { client, stats } = generatorClient({ config, env: process.env, log });
  const summary = await generateRubrics({
    prompts,
    client,
    model: config.model,
    outDir: flags.out,
    verifiers,
    verifierNames,
    reference,
    threshold,
    bounds,
    concurrency: config.concurrency,
    log,
  });
  for (const o of summary.outcomes) {
    if (o.status === 'rejected') out(`rejected ${o.promptId}: ${o.reason}`);
    if (o.status === 'failed') out(`failed ${o.promptId}: ${o.error}`);
  }
  out(
    `${summary.generated} generated, ${summary.skipped} skipped (done before), ${summary.rejected} rejected, ${summary.failed} failed; ${stats.requests} requests -> ${flags.out}`,
  );
  if (summary.unasked > 0) {
    const budget = {
      requests: config.requestBudget,
      ...(config.tokenBudget === undefined ? {} : { tokens: config.tokenBudget }),
    };
    out(budgetSpentLine({ unasked: summary.unasked, budget, used: judgeUsage(stats) }));
  }
  if (summary.failed > 0) process.exitCode = 1;
}

/** The line saying the judge budget ran out: what was left unasked, what was spent, how to go on. */
function budgetSpentLine(options: { unasked: number; budget: JudgeBudget; used: JudgeUsage }): string {
  const { unasked, budget, used } = options;
  const spend = describeSpend({ budget, used }) || `${used.requests} requests, ${used.tokens} tokens`;
  return `judge budget spent (${spend}): ${unasked} prompt${unasked === 1 ? '' : 's'} not asked; rerun with a larger requestBudget or tokenBudget in the judge config to continue where it stopped`;
}

/** `all`, `none`, or names that must each be registered (an unknown one fails listing the known). */
function pickVerifiers(flag: string, all: string[], check: (name: string) => unknown): string[] {
  if (flag === 'all') return all;
  if (flag === 'none') return [];
  const names = flag
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const n of names) check(n);
  return names;
}
