import type { Command } from 'commander';
import { z } from 'zod';
import { formatSpread } from '../../engine/bench/bench-stats.ts';
import type { RolloutBenchResult, RolloutMode } from '../../engine/bench/rollout-bench.ts';
import type { RolloutFigures } from '../../engine/bench/rollout-figures.ts';
import { modelArgument } from '../../models/default-model.ts';
import { QUANT_SCHEMES, type QuantScheme } from '../../models/llama/quant/quantized-weights.ts';
import { ValidationError } from '../../util/errors.ts';
import { numberFlag, out } from '../io.ts';
import type { BenchSubcommand } from './bench-subcommand.ts';

const RolloutOptions = z.object({
  model: z.string().optional(),
  mode: z.string().default('forced'),
  batch: z.string().default('8'),
  prompts: z.string().default('8'),
  samples: z.string().default('4'),
  newTokens: z.string().default('128'),
  threads: z.string().default('1'),
  slots: z.string().optional(),
  quant: z.string().default('f32'),
  rounds: z.string().default('1'),
  peer: z.string().optional(),
  peerThreads: z.string().optional(),
  force: z.boolean().default(false),
  json: z.boolean().default(false),
});

function line(f: RolloutFigures, label: string): string {
  const inside = f.runMs === undefined ? '' : `, ${((100 * f.runMs) / f.wallMs).toFixed(0)}% inside ORT`;
  return (
    `  ${label}, ${f.threads} thread(s): ${f.tokensPerSecond.toFixed(1)} tok/s overall (${f.newTokens} tokens), ` +
    `${f.decodeTokensPerSecond.toFixed(1)} tok/s decode (prefill ${f.prefillMs.toFixed(0)} ms, ` +
    `decode ${f.decodeMs.toFixed(0)} ms${inside}, load ${(f.loadMs / 1000).toFixed(1)} s)`
  );
}

function parseSchemes(value: string): QuantScheme[] {
  const schemes = value.split(',').map((s) => s.trim());
  for (const s of schemes) {
    if (!(QUANT_SCHEMES as readonly string[]).includes(s)) {
      throw new ValidationError(`--quant: expected a list of ${QUANT_SCHEMES.join(', ')}, got '${s}'`);
    }
  }
  return schemes as QuantScheme[];
}

const MODES: readonly RolloutMode[] = ['forced', 'rl'];

/** The human-readable report: every round, then min / median / max over rounds. */
function report(result: RolloutBenchResult): void {
  const what =
    result.mode === 'forced'
      ? `${result.prompts} sequences x ${result.newTokens} forced new tokens`
      : `${result.prompts} prompts x ${result.samples} samples, up to ${result.newTokens} new tokens, temperature 1, stop tokens on`;
  out(`rollout (${result.mode}): ${what}, ${result.model}`);
  out(
    `  host GEMM rate ${result.gemmGflops.toFixed(1)} GFLOP/s at ${result.threads} thread(s); ` +
      `${(result.flopsPerToken / 1e9).toFixed(3)} GFLOP per token`,
  );
  result.rounds.forEach((round, i) => {
    out(
      ` round ${i + 1} (load average ${round.loadAverage[0].toFixed(2)} -> ${round.loadAverage[1].toFixed(2)})`,
    );
    for (const o of round.ours) {
      out(
        `${line(o, `${o.engine} ${o.quant}`)}; ${o.achievedGflops.toFixed(1)} GFLOP/s = ${(100 * o.gemmShare).toFixed(0)}% of GEMM`,
      );
    }
    if (round.peer !== undefined) out(line(round.peer, round.peer.engine));
  });
  out(` over ${result.rounds.length} round(s), min / median / max:`);
  for (const o of result.summary.ours) {
    out(
      `  ours ${o.quant}: ${formatSpread(o.tokensPerSecond)} tok/s, ` +
        `${formatSpread({ min: 100 * o.gemmShare.min, median: 100 * o.gemmShare.median, max: 100 * o.gemmShare.max }, 0)} % of GEMM rate`,
    );
  }
  if (result.summary.peer !== undefined) out(`  llama.cpp: ${formatSpread(result.summary.peer)} tok/s`);
  for (const r of result.summary.ratio ?? []) {
    if (!result.quiet.report) {
      out(
        `  ratio ${r.quant} / llama.cpp: withheld, the machine was not quiet (load average ${result.startLoad.toFixed(2)} at start, limit ${result.quiet.loadLimit}; ` +
          `other processes ${result.otherCores.toFixed(2)} cores, limit ${result.quiet.otherLimit}); rerun on a quiet machine or pass --force`,
      );
    } else {
      const mark = result.quiet.forced ? ' (FORCED: measured on a loaded machine)' : '';
      out(`  ratio ${r.quant} / llama.cpp: ${formatSpread(r.tokensPerSecond, 2)}${mark}`);
    }
  }
  out(
    `  load average ${result.startLoad.toFixed(2)} at start; other processes kept ${result.otherCores.toFixed(2)} cores busy on average`,
  );
  out(
    `  resident memory after our first round: ${result.rssAfterMb.toFixed(0)} MB (peak so far ${result.peakRssMb.toFixed(0)} MB, ` +
      'reached while the sessions were built)',
  );
}

export const rolloutBench: BenchSubcommand = {
  name: 'rollout',
  register(bench: Command) {
    bench
      .command('rollout')
      .description(
        'rollout tokens/s, forced-length or as an RL step samples (P prompts x G samples); optionally vs llama.cpp',
      )
      .option('--model <gguf>', 'GGUF model (absent or "default": the SmolLM2 model from setup)')
      .option(
        '--mode <mode>',
        "'forced' (exactly N new tokens) or 'rl' (temperature 1, stop tokens on)",
        'forced',
      )
      .option('--batch <n>', 'forced mode: distinct prompts generated together', '8')
      .option('--prompts <n>', 'rl mode: distinct prompts', '8')
      .option('--samples <n>', 'rl mode: samples per prompt (the GRPO group size)', '4')
      .option('--new-tokens <n>', 'new tokens per sequence (rl: at most)', '128')
      .option('--threads <n>', 'ONNX Runtime intra-op threads', '1')
      .option('--slots <n>', 'sequences our engine decodes together (default 32)')
      .option('--quant <list>', "our matmul schemes, comma-separated: 'f32', 'q4'", 'f32')
      .option('--rounds <n>', 'repeat ours + peer back to back; figures give min / median / max', '1')
      .option('--peer <name>', "also run 'llama.cpp' (node-llama-cpp) on the same GGUF and prompts")
      .option('--peer-threads <n>', 'threads for the peer (default: --threads)')
      .option('--force', 'print ratios even when the load average exceeded half the cores (marked)')
      .option('--json', 'print one JSON object')
      .action(async (raw: unknown) => {
        const options = RolloutOptions.parse(raw);
        if (options.peer !== undefined && options.peer !== 'llama.cpp') {
          throw new ValidationError(`--peer: expected 'llama.cpp', got '${options.peer}'`);
        }
        if (!(MODES as readonly string[]).includes(options.mode)) {
          throw new ValidationError(`--mode: expected one of ${MODES.join(', ')}, got '${options.mode}'`);
        }
        const mode = options.mode as RolloutMode;
        const int = (value: string, flag: string, min: number) =>
          numberFlag(value, flag, { min, integer: true });
        // Loaded when the command runs: its llama.cpp peer is a development dependency, which a
        // production install (`npm ci --omit=dev`, the Docker image) leaves out.
        const { benchRollout } = await import('../../engine/bench/rollout-bench.ts');
        const result = await benchRollout({
          model: modelArgument(options.model),
          mode,
          prompts:
            mode === 'forced' ? int(options.batch, '--batch', 1) : int(options.prompts, '--prompts', 1),
          samples: int(options.samples, '--samples', 1),
          newTokens: int(options.newTokens, '--new-tokens', 2),
          threads: int(options.threads, '--threads', 1),
          ...(options.slots === undefined ? {} : { slots: int(options.slots, '--slots', 1) }),
          quant: parseSchemes(options.quant),
          rounds: int(options.rounds, '--rounds', 1),
          force: options.force,
          ...(options.peer === undefined ? {} : { peer: 'llama.cpp' as const }),
          ...(options.peerThreads === undefined
            ? {}
            : { peerThreads: int(options.peerThreads, '--peer-threads', 1) }),
        });
        if (options.json) out(JSON.stringify(result));
        else report(result);
      });
  },
};
