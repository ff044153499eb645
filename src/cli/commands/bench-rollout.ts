import type { Command } from 'commander';
import { z } from 'zod';
import { benchRollout } from '../../engine/bench/rollout-bench.ts';
import type { RolloutFigures } from '../../engine/bench/rollout-figures.ts';
import { modelArgument } from '../../models/default-model.ts';
import { QUANT_SCHEMES, type QuantScheme } from '../../models/llama/quant/quantized-weights.ts';
import { ValidationError } from '../../util/errors.ts';
import { numberFlag, out } from '../io.ts';
import type { BenchSubcommand } from './bench.ts';

const RolloutOptions = z.object({
  model: z.string().optional(),
  batch: z.string().default('8'),
  newTokens: z.string().default('128'),
  threads: z.string().default('1'),
  quant: z.string().default('f32'),
  rounds: z.string().default('1'),
  peer: z.string().optional(),
  peerThreads: z.string().optional(),
  json: z.boolean().default(false),
});

function line(f: RolloutFigures, label: string): string {
  const inside = f.runMs === undefined ? '' : `, ${((100 * f.runMs) / f.wallMs).toFixed(0)}% inside ORT`;
  return (
    `  ${label}, ${f.threads} thread(s): ${f.tokensPerSecond.toFixed(1)} tok/s overall, ` +
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

export const rolloutBench: BenchSubcommand = {
  name: 'rollout',
  register(bench: Command) {
    bench
      .command('rollout')
      .description(
        'rollout tokens/s: a batch of chat prompts, N forced new tokens each; optionally vs llama.cpp',
      )
      .option('--model <gguf>', 'GGUF model (absent or "default": the SmolLM2 model from setup)')
      .option('--batch <n>', 'sequences generated together', '8')
      .option('--new-tokens <n>', 'new tokens per sequence', '128')
      .option('--threads <n>', 'ONNX Runtime intra-op threads', '1')
      .option('--quant <list>', "our matmul schemes, comma-separated: 'f32', 'q4'", 'f32')
      .option('--rounds <n>', 'repeat ours + peer back to back, to see the spread', '1')
      .option('--peer <name>', "also run 'llama.cpp' (node-llama-cpp) on the same GGUF and prompts")
      .option('--peer-threads <n>', 'threads for the peer (default: --threads)')
      .option('--json', 'print one JSON object')
      .action(async (raw: unknown) => {
        const options = RolloutOptions.parse(raw);
        if (options.peer !== undefined && options.peer !== 'llama.cpp') {
          throw new ValidationError(`--peer: expected 'llama.cpp', got '${options.peer}'`);
        }
        const int = (value: string, flag: string, min: number) =>
          numberFlag(value, flag, { min, integer: true });
        const result = await benchRollout({
          model: modelArgument(options.model),
          batch: int(options.batch, '--batch', 1),
          newTokens: int(options.newTokens, '--new-tokens', 2),
          threads: int(options.threads, '--threads', 1),
          quant: parseSchemes(options.quant),
          rounds: int(options.rounds, '--rounds', 1),
          ...(options.peer === undefined ? {} : { peer: 'llama.cpp' as const }),
          ...(options.peerThreads === undefined
            ? {}
            : { peerThreads: int(options.peerThreads, '--peer-threads', 1) }),
        });
        if (options.json) {
          out(JSON.stringify(result));
          return;
        }
        out(`rollout: ${result.batch} sequences x ${result.newTokens} new tokens, ${result.model}`);
        result.rounds.forEach((round, i) => {
          if (result.rounds.length > 1) out(` round ${i + 1}`);
          for (const o of round.ours) out(line(o, `${o.engine} ${o.quant}`));
          if (round.peer !== undefined) out(line(round.peer, round.peer.engine));
          for (const r of round.ratio ?? []) {
            out(
              `  ratio ${r.quant} / peer: ${r.tokensPerSecond.toFixed(2)} overall, ${r.decodeTokensPerSecond.toFixed(2)} decode`,
            );
          }
          out(
            `  load average ${round.loadAverage[0].toFixed(1)} -> ${round.loadAverage[1].toFixed(1)} (2 cores)`,
          );
        });
      });
  },
};
