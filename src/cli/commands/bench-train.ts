import type { Command } from 'commander';
import { z } from 'zod';
import { formatSpread, spread } from '../../engine/bench/bench-stats.ts';
import { benchTrain } from '../../engine/bench/train-bench.ts';
import { TRAINABLE_KINDS, type TrainableKindName } from '../../engine/trainable.ts';
import { modelArgument } from '../../models/default-model.ts';
import { ValidationError } from '../../util/errors.ts';
import { numberFlag, out } from '../io.ts';
import type { BenchSubcommand } from './bench-subcommand.ts';

const TrainOptions = z.object({
  model: z.string().optional(),
  batch: z.string().default('8'),
  seqLen: z.string().default('256'),
  loraRank: z.string().default('16'),
  steps: z.string().default('3'),
  threads: z.string().default('1'),
  peer: z.string().optional(),
  peerThreads: z.string().optional(),
  microBatch: z.string().optional(),
  finetune: z.string().default('lora'),
  force: z.boolean().default(false),
  json: z.boolean().default(false),
});

const int = (value: string, flag: string, min = 1) => numberFlag(value, flag, { min, integer: true });

/** `--finetune lora,full`: known modes, each once, in the order given. */
function finetuneModes(value: string): TrainableKindName[] {
  const modes = value.split(',').map((m) => m.trim());
  const known = Object.keys(TRAINABLE_KINDS);
  for (const m of modes) {
    if (!known.includes(m)) {
      throw new ValidationError(`--finetune: unknown mode '${m}'; known: ${known.join(', ')}`);
    }
  }
  if (new Set(modes).size !== modes.length)
    throw new ValidationError(`--finetune: a mode twice in '${value}'`);
  return modes as TrainableKindName[];
}

export const trainBench: BenchSubcommand = {
  name: 'train',
  register(bench: Command) {
    bench
      .command('train')
      .description(
        'training-step tokens/s and memory (forward, backward, AdamW) with LoRA and/or full fine-tuning; optionally vs PyTorch CPU',
      )
      .option(
        '--model <path>',
        'GGUF file or model folder (absent or "default": the SmolLM2 model from setup)',
      )
      .option('--batch <n>', 'sequences per step', '8')
      .option('--seq-len <n>', 'tokens per sequence (prompt + response)', '256')
      .option('--lora-rank <n>', 'LoRA rank on every projection', '16')
      .option('--steps <n>', 'timed steps after one warm-up step', '3')
      .option('--threads <n>', 'ONNX Runtime intra-op threads', '1')
      .option('--peer <name>', "also run the same step in 'torch' (needs .tools/torch-venv)")
      .option('--peer-threads <n>', 'threads for the peer (default: --threads)')
      .option('--micro-batch <n>', 'sequences per training-graph run (default: 512 tokens worth)')
      .option(
        '--finetune <modes>',
        "fine-tuning modes to measure one after the other, comma-separated: 'lora', 'full' (every weight)",
        'lora',
      )
      .option('--force', 'print the ratio even when the machine was not quiet (marked)')
      .option('--json', 'print one JSON object')
      .action(async (raw: unknown) => {
        const options = TrainOptions.parse(raw);
        if (options.peer !== undefined && options.peer !== 'torch') {
          throw new ValidationError(`--peer: expected 'torch', got '${options.peer}'`);
        }
        const r = await benchTrain({
          model: modelArgument(options.model),
          batch: int(options.batch, '--batch'),
          seqLen: int(options.seqLen, '--seq-len', 2),
          loraRank: int(options.loraRank, '--lora-rank'),
          steps: int(options.steps, '--steps'),
          finetune: finetuneModes(options.finetune),
          force: options.force,
          threads: int(options.threads, '--threads'),
          ...(options.peer === undefined ? {} : { peer: 'torch' as const }),
          ...(options.peerThreads === undefined
            ? {}
            : { peerThreads: int(options.peerThreads, '--peer-threads') }),
          ...(options.microBatch === undefined
            ? {}
            : { microBatchSize: int(options.microBatch, '--micro-batch') }),
        });
        if (options.json) {
          out(JSON.stringify(r));
          return;
        }
        const ms = (xs: number[]) => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(0);
        out(
          `train: ${r.batch} x ${r.seqLen} tokens (micro-batches of ${r.microBatchSize}), ` +
            `${r.modes.map((m) => (m.mode === 'lora' ? `LoRA rank ${r.loraRank}` : m.mode)).join(' then ')}, ` +
            `${r.steps} timed steps, ${r.model}`,
        );
        if (r.modes.length > 1 || r.modes[0]?.mode !== 'lora') {
          for (const m of r.modes) {
            out(
              `  ${m.mode}: ${(m.trainableParameters / 1e6).toFixed(2)}M trainable values, ${m.tokensPerSecond.toFixed(1)} tok/s, ` +
                `${ms(m.stepMs)} ms/step (graph ${m.forwardBackwardMs.toFixed(0)}, AdamW ${m.optimizerMs.toFixed(0)}), ` +
                `RSS ${m.rssBeforeMb.toFixed(0)} -> peak ${m.peakRssMb.toFixed(0)} MB, ${m.achievedGflops.toFixed(1)} GFLOP/s`,
            );
          }
        }
        out(
          `  ${r.ours.engine}, ${r.ours.threads} thread(s): ${r.ours.tokensPerSecond.toFixed(1)} tok/s, ` +
            `${ms(r.ours.stepMs)} ms/step (graph ${r.ours.forwardBackwardMs.toFixed(0)}, AdamW ${r.ours.optimizerMs.toFixed(0)}), ` +
            `peak RSS ${r.ours.peakRssMb.toFixed(0)} MB, ${r.ours.achievedGflops.toFixed(1)} GFLOP/s ` +
            `(${((100 * r.ours.achievedGflops) / r.gemmGflops).toFixed(0)}% of the GEMM rate)`,
        );
        if (r.peer !== undefined && r.ratio !== undefined) {
          out(
            `  ${r.peer.engine}, ${r.peer.threads} thread(s): ${r.peer.tokensPerSecond.toFixed(1)} tok/s, ` +
              `${ms(r.peer.stepMs)} ms/step, peak RSS ${r.peer.peakRssMb.toFixed(0)} MB, ${r.peer.achievedGflops.toFixed(1)} GFLOP/s`,
          );
          if (!r.quiet.report) {
            out(
              `  ratio (ours / torch): withheld, the machine was not quiet (load average ${r.loadAverage[0].toFixed(2)} at start, ` +
                `limit ${r.quiet.loadLimit}; other processes ${r.otherCores.toFixed(2)} cores, limit ${r.quiet.otherLimit}); rerun or pass --force`,
            );
          } else {
            const mark = r.quiet.forced ? ' (FORCED: measured on a loaded machine)' : '';
            out(
              `  ratio (ours / torch): ${r.ratio.toFixed(2)} (per step min / median / max ${formatSpread(r.spread.ratio ?? spread([]), 2)})${mark}`,
            );
          }
          out(`  losses ours  ${r.ours.losses.map((l) => l.toFixed(5)).join(' ')}`);
          out(`  losses torch ${r.peer.losses.map((l) => l.toFixed(5)).join(' ')}`);
        }
        out(
          `  machine GEMM (ORT float32, ${r.ours.threads} thread(s)): ${r.gemmGflops.toFixed(1)} GFLOP/s; ` +
            `${(r.flopsPerStep / 1e9).toFixed(0)} GFLOP per step`,
        );
        out(`  ours per step min / median / max: ${formatSpread(r.spread.ours)} tok/s`);
        if (r.spread.peer !== undefined)
          out(`  torch per step min / median / max: ${formatSpread(r.spread.peer)} tok/s`);
        out(
          `  load average ${r.loadAverage[0].toFixed(2)} -> ${r.loadAverage[1].toFixed(2)}; ` +
            `other processes kept ${r.otherCores.toFixed(2)} cores busy on average`,
        );
      });
  },
};
