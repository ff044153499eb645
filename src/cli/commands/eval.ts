import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { Policy } from '../../engine/policy.ts';
import { type EvalProgress, runEval, scoreResponses } from '../../eval/run-eval.ts';
import { getSuite, suiteNames } from '../../eval/suites.ts';
import { modelArgument } from '../../models/default-model.ts';
import { readIfevalResponses } from '../../rubric/verifiers/ifeval/results.ts';
import { AnchorageError } from '../../util/errors.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out } from '../io.ts';
import { bar, LiveLine } from '../progress-line.ts';

const EvalOptions = z.object({
  suite: z.string(),
  out: z.string().min(1),
  model: z.string().optional(),
  checkpoint: z.string().optional(),
  maxNewTokens: z.string().optional(),
  limit: z.string().optional(),
  batch: z.string().optional(),
  threads: z.string().optional(),
  prompts: z.string().optional(),
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
        'evaluate a model (plus a LoRA checkpoint) on a suite: greedy answers, scores, per-response results; resumable',
      )
      .requiredOption('--suite <name>', `the suite: ${suiteNames().join(', ')}`)
      .requiredOption(
        '--out <dir>',
        'output folder (answers.jsonl, results.jsonl, summary.json); run again to resume',
      )
      .option(
        '--model <path>',
        'GGUF file or model folder (absent or "default": the SmolLM2 model from setup)',
      )
      .option('--checkpoint <dir>', 'a checkpoint folder with LoRA adapters')
      .option('--max-new-tokens <n>', "new-token limit per answer (default: the suite's)")
      .option('--limit <n>', 'only the first n prompts')
      .option('--batch <n>', 'answers generated together (default 32)')
      .option('--threads <n>', 'ONNX Runtime intra-op threads (default: every core)')
      .option('--prompts <file>', "another prompt file in the suite's format")
      .option(
        '--responses <file>',
        'score these responses (JSON lines with key and response) instead of generating',
      )
      .option('--json', 'print the summary as one JSON object')
      .action(async (raw: unknown) => runEvalCommand(EvalOptions.parse(raw)));
  },
};

async function runEvalCommand(options: EvalOptions): Promise<void> {
  const int = (value: string | undefined, flag: string) =>
    value === undefined ? undefined : numberFlag(value, flag, { min: 1, integer: true });
  const suite = getSuite(
    options.suite,
    options.prompts === undefined ? {} : { promptsFile: options.prompts },
  );
  if (options.responses !== undefined) {
    const file = options.responses;
    const responses = readIfevalResponses(file).map(({ value, line }) => ({
      ...(value.key === undefined ? {} : { key: String(value.key) }),
      ...(value.prompt === undefined ? {} : { text: value.prompt }),
      response: typeof value.response === 'string' ? value.response : '',
      location: { file, line },
    }));
    const scores = await scoreResponses({ suite, responses, outDir: options.out });
    if (options.json) out(JSON.stringify({ suite: suite.name, ...scores.summary }));
    else
      for (const line of [`${suite.name}: ${responses.length} responses scored`, ...scores.table]) out(line);
    return;
  }
  const threads = int(options.threads, '--threads') ?? availableParallelism();
  const maxNewTokens = int(options.maxNewTokens, '--max-new-tokens') ?? suite.maxNewTokens;
  const limit = int(options.limit, '--limit');
  const batchSize = int(options.batch, '--batch');
  const model = modelArgument(options.model);
  const checkpoint = options.checkpoint === undefined ? null : resolve(options.checkpoint);
  const policy = await Policy.load({ model, threads, ...(checkpoint === null ? {} : { checkpoint }) });
  const line = new LiveLine(process.stderr);
  const controller = new AbortController();
  const stop = () =>
    controller.abort(new AnchorageError('evaluation stopped: run the same command again to resume'));
  process.once('SIGINT', stop);
  try {
    const result = await runEval({
      policy,
      suite,
      spec: { model, checkpoint, maxNewTokens },
      outDir: options.out,
      ...(limit === undefined ? {} : { limit }),
      ...(batchSize === undefined ? {} : { batchSize }),
      signal: controller.signal,
      onProgress: (p) => line.show(progressText(p), `answers ${p.answered}/${p.total}`),
    });
    line.end();
    if (options.json) {
      out(
        JSON.stringify({
          ...result.spec,
          ...result.scores.summary,
          resumed: result.resumed,
          generated: result.generated,
          newTokens: result.newTokens,
          seconds: result.seconds,
        }),
      );
      return;
    }
    out(
      `${suite.name}: ${result.spec.prompts} prompts, ${model}${checkpoint === null ? '' : ` + ${checkpoint}`}, greedy, at most ${maxNewTokens} new tokens`,
    );
    out(
      `  ${result.generated} answers generated (${result.newTokens} tokens, ${result.seconds.toFixed(0)} s), ${result.resumed} resumed`,
    );
    for (const l of result.scores.table) out(l);
    out(`  files: ${options.out}/answers.jsonl, results.jsonl, summary.json`);
  } finally {
    process.off('SIGINT', stop);
    await policy.close();
  }
}

/** `answers ████░░░░ 120/541 · 310 tok/s · ETA 4 min` */
function progressText(p: EvalProgress): string {
  const rate = p.seconds > 0 ? p.newTokens / p.seconds : 0;
  const perAnswer = p.generated > 0 ? p.seconds / p.generated : 0;
  const eta = perAnswer > 0 ? `ETA ${Math.ceil(((p.total - p.answered) * perAnswer) / 60)} min` : 'ETA …';
  return `answers ${bar(p.answered / Math.max(1, p.total), 20)} ${p.answered}/${p.total} · ${rate.toFixed(0)} tok/s · ${eta}`;
}
