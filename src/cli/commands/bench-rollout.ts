import type { Command } from 'commander';
import { z } from 'zod';
import { benchRollout } from '../../engine/bench/rollout-bench.ts';
import type { RolloutFigures } from '../../engine/bench/rollout-figures.ts';
import { requireDefaultModel } from '../../models/default-model.ts';
import { ValidationError } from '../../util/errors.ts';
import { numberFlag, out } from '../io.ts';
import type { BenchSubcommand } from './bench.ts';

const RolloutOptions = z.object({
  model: z.string().optional(),
  batch: z.string().default('8'),
  newTokens: z.string().default('128'),
  threads: z.string().default('1'),
  peer: z.string().optional(),
  peerThreads: z.string().optional(),
  json: z.boolean().default(false),
});

function line(f: RolloutFigures): string {
  return (
    `  ${f.engine}, ${f.threads} thread(s): ${f.tokensPerSecond.toFixed(1)} tok/s overall, ` +
    `${f.decodeTokensPerSecond.toFixed(1)} tok/s decode (prefill ${f.prefillMs.toFixed(0)} ms, ` +
    `decode ${f.decodeMs.toFixed(0)} ms, load ${(f.loadMs / 1000).toFixed(1)} s)`
  );
}

export const rolloutBench: BenchSubcommand = {
  name: 'rollout',
  register(bench: Command) {
    bench
      .command('rollout')
      .description(
        'rollout tokens/s: a batch of chat prompts, N forced new tokens each; optionally vs llama.cpp',
      )
      .option('--model <gguf>', 'GGUF model (default: the SmolLM2 model from setup)')
      .option('--batch <n>', 'sequences generated together', '8')
      .option('--new-tokens <n>', 'new tokens per sequence', '128')
      .option('--threads <n>', 'ONNX Runtime intra-op threads', '1')
      .option('--peer <name>', "also run 'llama.cpp' (node-llama-cpp) on the same GGUF and prompts")
      .option('--peer-threads <n>', 'threads for the peer (default: --threads)')
      .option('--json', 'print one JSON object')
      .action(async (raw: unknown) => {
        const options = RolloutOptions.parse(raw);
        if (options.peer !== undefined && options.peer !== 'llama.cpp') {
          throw new ValidationError(`--peer: expected 'llama.cpp', got '${options.peer}'`);
        }
        const result = await benchRollout({
          model: options.model ?? requireDefaultModel(),
          batch: numberFlag(options.batch, '--batch', { min: 1, integer: true }),
          newTokens: numberFlag(options.newTokens, '--new-tokens', { min: 2, integer: true }),
          threads: numberFlag(options.threads, '--threads', { min: 1, integer: true }),
          ...(options.peer === undefined ? {} : { peer: 'llama.cpp' as const }),
          ...(options.peerThreads === undefined
            ? {}
            : { peerThreads: numberFlag(options.peerThreads, '--peer-threads', { min: 1, integer: true }) }),
        });
        if (options.json) {
          out(JSON.stringify(result));
          return;
        }
        out(`rollout: ${result.batch} sequences x ${result.newTokens} new tokens, ${result.model}`);
        out(line(result.ours));
        if (result.peer !== undefined && result.ratio !== undefined) {
          out(line(result.peer));
          out(
            `  ratio (ours / peer): ${result.ratio.tokensPerSecond.toFixed(2)} overall, ${result.ratio.decodeTokensPerSecond.toFixed(2)} decode`,
          );
        }
        out(
          `  load average ${result.loadAverage[0].toFixed(1)} -> ${result.loadAverage[1].toFixed(1)} (2 cores)`,
        );
      });
  },
};
