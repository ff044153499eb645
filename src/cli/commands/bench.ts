import type { Command } from 'commander';
import { z } from 'zod';
import { benchIfevalVerifiers, DEFAULT_IFEVAL_DATA_DIR } from '../../rubric/verifiers/ifeval/bench.ts';
import { defaultVerifiers } from '../../rubric/verifiers/index.ts';
import type { CliCommand } from '../command.ts';
import { numberFlag, out } from '../io.ts';
import { learningBench } from './bench-learning.ts';
import type { BenchSubcommand } from './bench-subcommand.ts';
import { orchestrationBench } from './bench-orchestration.ts';
import { rolloutBench } from './bench-rollout.ts';
import { trainBench } from './bench-train.ts';

/**
 * `anchorage bench <what>`: benchmarks that print figures (never timed tests). Each benchmark is a
 * subcommand registered in `benchSubcommands`; add one by appending to that list.
 */
const VerifiersOptions = z.object({
  json: z.boolean().default(false),
  repeat: z.string().default('5'),
  data: z.string().default(DEFAULT_IFEVAL_DATA_DIR),
});

const verifiersBench: BenchSubcommand = {
  name: 'verifiers',
  register(bench: Command) {
    bench
      .command('verifiers')
      .description(
        'throughput of the IFEval verifiers (strict and loose) on the 541 GPT-4 responses, one thread',
      )
      .option('--repeat <n>', 'timed passes over the responses', '5')
      .option('--data <dir>', 'folder with the IFEval prompt and response files', DEFAULT_IFEVAL_DATA_DIR)
      .option('--json', 'print one JSON object')
      .action((raw: unknown) => {
        const options = VerifiersOptions.parse(raw);
        const repeat = numberFlag(options.repeat, '--repeat', { min: 1, integer: true });
        const result = benchIfevalVerifiers({ verifiers: defaultVerifiers(), repeat, dataDir: options.data });
        if (options.json) {
          out(JSON.stringify({ bench: 'verifiers', ...result }));
          return;
        }
        out(
          `IFEval verifiers: ${result.responses} responses, ${result.instructions} instructions (${(result.instructions / result.responses).toFixed(2)} per response),`,
        );
        out(
          `strict + loose, ${result.repeat} timed passes on one thread (cold first pass ${result.coldPassMs.toFixed(0)} ms)`,
        );
        out(
          `  ${result.responsesPerSecond.toFixed(0)} responses/s wall (${result.responsesPerCpuSecond.toFixed(0)} per CPU-second), ${result.checksPerSecond.toFixed(0)} checks/s`,
        );
        out('  ms per pass by instruction (text analyses charged to the first check needing them):');
        for (const [id, ms] of Object.entries(result.msPerPassByInstruction).slice(0, 8)) {
          out(`    ${id.padEnd(46)} ${ms.toFixed(2)}`);
        }
      });
  },
};

/** Benchmarks under `anchorage bench`. */
export const benchSubcommands: BenchSubcommand[] = [
  verifiersBench,
  rolloutBench,
  trainBench,
  orchestrationBench,
  learningBench,
];

export const benchCommand: CliCommand = {
  name: 'bench',
  register(program: Command) {
    const bench = program.command('bench').description('benchmarks: print throughput figures');
    for (const sub of benchSubcommands) sub.register(bench);
  },
};
