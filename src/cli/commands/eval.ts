import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { readResponsesFile } from '../../eval/responses-file.ts';
import { scoreResponses } from '../../eval/run-eval.ts';
import { runSuite, type SuiteProgress, type SuiteResult } from '../../eval/run-suite.ts';
import type { SuiteOptions } from '../../eval/suite.ts';
import { getSuite, suiteNames } from '../../eval/suites.ts';
import { AnchorageError, ValidationError } from '../../util/errors.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out } from '../io.ts';
import { loadPolicyFrom } from '../policy-source.ts';
import { bar, LiveLine } from '../progress-line.ts';

const EvalOptions = z.object({
  suite: z.string(),
  out: z.string().min(1),
  model: z.string().optional(),
  checkpoint: z.string().optional(),
  run: z.string().optional(),
  step: z.string().optional(),
  store: z.string().optional(),
  maxNewTokens: z.string().optional(),
  chunkTokens: z.string().optional(),
  limit: z.string().optional(),
  batch: z.string().optional(),
  threads: z.string().optional(),
  prompts: z.string().optional(),
  config: z.string().optional(),
  source: z.string().optional(),
  judge: z.string().optional(),
  responses: z.string().optional(),
  json: z.boolean().default(false),
});
type EvalOptions = z.infer<typeof EvalOptions>;

export const evalCommand: CliCommand = {
  name: 'eval',
  register(program: Command) {
    program
      .command('eval')
      .description(
        'evaluate a model (plus a LoRA checkpoint) on a suite: greedy answers or text log-probs, scores, per-row results; resumable',
      )
      .requiredOption('--suite <name>', `the suite: ${suiteNames().join(', ')}`)
      .requiredOption(
        '--out <dir>',
        'output folder (answers.jsonl or logprobs.jsonl, results.jsonl, summary.json); run again to resume',
      )
      .option(
        '--model <path>',
        'GGUF file or model folder (absent or "default": the SmolLM2 model from setup; with --config, its model)',
      )
      .option(
        '--checkpoint <dir>',
        'LoRA adapters: a checkpoint folder, or a PEFT adapter folder (anchorage export --format peft)',
      )
      .option(
        '--run <trainRunId>',
        "a training run's checkpoint (with --step), from the artifact store; the model defaults to the run's",
      )
      .option('--step <n>', 'with --run: the step after which the evaluated checkpoint was committed')
      .option(
        '--store <dir|url>',
        'with --run: the artifact store, a folder or s3://<bucket>/<prefix> (default: ANCHORAGE_STORE_URL, else ANCHORAGE_STORE_DIR or <data dir>/store)',
      )
      .option('--max-new-tokens <n>', "generation suites: new-token limit per answer (default: the suite's)")
      .option('--chunk-tokens <n>', "perplexity: tokens per scored chunk (default: the suite's)")
      .option('--limit <n>', 'only the first n prompts (or texts)')
      .option('--batch <n>', 'answers generated together (default 32), or chunks scored together (default 2)')
      .option('--threads <n>', 'ONNX Runtime intra-op threads (default: every core)')
      .option(
        '--prompts <file>',
        "another input file in the suite's format (prompts: JSON lines with rubrics)",
      )
      .option('--config <run.yaml>', 'prompts: the run configuration whose source is evaluated')
      .option('--source <name>', 'prompts: the source of --config (for example held-out)')
      .option('--judge <config>', 'prompts: LLM judge configuration for judged criteria of a --prompts file')
      .option(
        '--responses <file>',
        'score these responses (JSON lines with key or prompt, and response) instead of generating',
      )
      .option('--json', 'print the summary as one JSON object')
      .action(async (raw: unknown) => runEvalCommand(EvalOptions.parse(raw)));
  },
};

async function runEvalCommand(options: EvalOptions): Promise<void> {
  const int = (value: string | undefined, flag: string, min = 1) =>
    value === undefined ? undefined : numberFlag(value, flag, { min, integer: true });
  const suiteOptions: SuiteOptions = {
    ...(options.prompts === undefined ? {} : { promptsFile: options.prompts }),
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.source === undefined ? {} : { source: options.source }),
    ...(options.judge === undefined ? {} : { judge: options.judge }),
  };
  const suite = getSuite(options.suite, suiteOptions);
  if (options.responses !== undefined) {
    if (suite.kind !== 'generation') {
      throw new ValidationError(`--responses: suite '${suite.name}' scores texts, not responses`);
    }
    const responses = readResponsesFile(options.responses);
    const scores = await scoreResponses({ suite, responses, outDir: options.out });
    if (options.json) out(JSON.stringify({ suite: suite.name, ...scores.summary }));
    else
      for (const line of [`${suite.name}: ${responses.length} responses scored`, ...scores.table]) out(line);
    return;
  }
  const threads = int(options.threads, '--threads') ?? availableParallelism();
  const maxNewTokens = int(options.maxNewTokens, '--max-new-tokens');
  const chunkTokens = int(options.chunkTokens, '--chunk-tokens', 2);
  const limit = int(options.limit, '--limit');
  const batchSize = int(options.batch, '--batch');
  const { policy, model, adapters } = await loadPolicyFrom({
    flags: {
      model: options.model,
      folder: { flag: '--checkpoint', path: options.checkpoint },
      run: options.run,
      step: options.step,
      store: options.store,
    },
    defaultModel: suite.defaultModel,
    threads,
    purpose: 'evaluate',
  });
  const checkpoint = adapters === null ? null : adapters.kind === 'folder' ? adapters.dir : adapters.label;
  const line = new LiveLine(process.stderr);
  const controller = new AbortController();
  const stop = () =>
    controller.abort(new AnchorageError('evaluation stopped: run the same command again to resume'));
  process.once('SIGINT', stop);
  try {
    const run = await runSuite({
      policy,
      suite,
      model,
      checkpoint,
      outDir: options.out,
      ...(maxNewTokens === undefined ? {} : { maxNewTokens }),
      ...(chunkTokens === undefined ? {} : { chunkTokens }),
      ...(limit === undefined ? {} : { limit }),
      ...(batchSize === undefined ? {} : { batchSize }),
      signal: controller.signal,
      onProgress: (p) => line.show(progressText(p), progressKey(p)),
    });
    line.end();
    const { spec, scores, seconds } = run.result;
    if (options.json) {
      out(JSON.stringify({ ...spec, ...scores.summary, ...workDone(run), seconds }));
      return;
    }
    const on = `${model}${checkpoint === null ? '' : ` + ${checkpoint}`}`;
    if (run.kind === 'generation') {
      const r = run.result;
      out(
        `${suite.name}: ${r.spec.prompts} prompts, ${on}, greedy, at most ${r.spec.maxNewTokens} new tokens`,
      );
      out(
        `  ${r.generated} answers generated (${r.newTokens} tokens, ${r.seconds.toFixed(0)} s), ${r.resumed} resumed`,
      );
    } else {
      const r = run.result;
      out(
        `${suite.name}: ${r.spec.texts} texts in ${r.spec.chunks} chunks of at most ${r.spec.chunkTokens} tokens, ${on}`,
      );
      out(
        `  ${r.scored} chunks scored (${r.tokens} tokens, ${r.seconds.toFixed(0)} s), ${r.resumed} resumed`,
      );
    }
    for (const l of scores.table) out(l);
    const kept = run.kind === 'generation' ? 'answers.jsonl' : 'logprobs.jsonl';
    out(`  files: ${options.out}/${kept}, results.jsonl, summary.json`);
  } finally {
    process.off('SIGINT', stop);
    await policy.close();
  }
}

/** What this call did, for the JSON summary. */
function workDone(run: SuiteResult): Record<string, number> {
  if (run.kind === 'generation') {
    const { resumed, generated, newTokens } = run.result;
    return { resumed, generated, newTokens };
  }
  const { resumed, scored, tokens } = run.result;
  return { resumed, scored, tokens };
}

/**
 * The live progress line; rates and the ETA count only the work of this call, not what was resumed:
 *   `answers ████░░░░ 120/541 · 310 tok/s · ETA 4 min` (generation)
 *   `chunks ████░░░░ 20/66 · 1450 tok/s · ETA 1 min` (log-prob scoring)
 */
export function progressText(p: SuiteProgress): string {
  const [what, done, total, fresh, tokens] =
    p.kind === 'generation'
      ? (['answers', p.answered, p.total, p.generated, p.newTokens] as const)
      : (['chunks', p.done, p.total, p.scored, p.tokens] as const);
  const rate = p.seconds > 0 ? tokens / p.seconds : 0;
  const perItem = fresh > 0 ? p.seconds / fresh : 0;
  const eta = perItem > 0 ? `ETA ${Math.ceil(((total - done) * perItem) / 60)} min` : 'ETA …';
  return `${what} ${bar(done / Math.max(1, total), 20)} ${done}/${total} · ${rate.toFixed(0)} tok/s · ${eta}`;
}

/** The plain form of the line off a terminal: it changes only when an item is done. */
function progressKey(p: SuiteProgress): string {
  return p.kind === 'generation' ? `answers ${p.answered}/${p.total}` : `chunks ${p.done}/${p.total}`;
}
