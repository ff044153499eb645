import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { z } from 'zod';
import { benchOrchestration, type RunTimings } from '../../../workers/bench-orchestration.ts';
import { numberFlag, out } from '../io.ts';
import type { BenchSubcommand } from './bench-subcommand.ts';

/** The SmolLM2 reference step: the former quickstart, fixed so the figure stays comparable. */
const QUICKSTART = fileURLToPath(new URL('../../../configs/bench/smollm2-step.yaml', import.meta.url));

const Options = z.object({
  steps: z.string().default('8'),
  smollm2Steps: z.string().default('2'),
  quickstart: z.string().default(QUICKSTART),
  json: z.boolean().default(false),
});

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function printRun(t: RunTimings): void {
  out(`${t.config}: per step (wall = the run's step-to-step time; inside = activities on the critical path)`);
  for (const step of t.steps) {
    const phases = Object.entries(step.activityMs)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ');
    out(
      `  step ${String(step.step).padStart(2)}: wall ${s(step.wallMs)}, inside ${s(step.insideMs)}, overhead ${step.overheadMs.toFixed(0)} ms (${((100 * step.overheadMs) / step.wallMs).toFixed(1)}%)  [${phases} ms]`,
    );
  }
  out(`  mean: wall ${s(t.meanWallMs)}, overhead ${t.meanOverheadMs.toFixed(0)} ms per step`);
  if (Number.isFinite(t.trend.ratio)) {
    out(
      `  overhead, median of the first and last quarter of steps: ${t.trend.firstQuarterMs.toFixed(0)} ms -> ${t.trend.lastQuarterMs.toFixed(0)} ms (x${t.trend.ratio.toFixed(2)}; about 1 when nothing grows with the run's length)`,
    );
  }
}

/** The share of a quickstart step the orchestration may take (issue target). */
const OVERHEAD_TARGET = 0.02;

/** `anchorage bench orchestration`: what the Temporal orchestration adds to a training step. */
export const orchestrationBench: BenchSubcommand = {
  name: 'orchestration',
  register(bench: Command) {
    bench
      .command('orchestration')
      .description(
        'orchestration overhead per training step (wall time minus time inside activities) on the tiny model, compared with a SmolLM2 quickstart step',
      )
      .option('--steps <n>', 'tiny-model steps', '8')
      .option(
        '--smollm2-steps <n>',
        'quickstart (SmolLM2) steps for the reference step time; 0 skips it',
        '2',
      )
      .option(
        '--quickstart <file>',
        'the SmolLM2 configuration of the reference step (default configs/bench/smollm2-step.yaml)',
        QUICKSTART,
      )
      .option('--json', 'print one JSON object')
      .action(async (raw: unknown) => {
        const options = Options.parse(raw);
        const figures = await benchOrchestration({
          steps: numberFlag(options.steps, '--steps', { min: 1, integer: true }),
          smollm2Steps: numberFlag(options.smollm2Steps, '--smollm2-steps', { min: 0, integer: true }),
          quickstart: options.quickstart,
          progress: (line) => process.stderr.write(`${line}\n`),
        });
        if (options.json) {
          out(JSON.stringify({ bench: 'orchestration', ...figures }));
          return;
        }
        printRun(figures.tiny);
        if (figures.smollm2 !== undefined) printRun(figures.smollm2);
        const warm = figures.smollm2?.steps.at(-1);
        if (warm !== undefined && figures.overheadShareOfSmollm2Step !== undefined) {
          out(
            `overhead ${figures.tiny.meanOverheadMs.toFixed(0)} ms per step = ${(100 * figures.overheadShareOfSmollm2Step).toFixed(2)}% of a warm SmolLM2 quickstart step (${s(warm.wallMs)}; target < ${100 * OVERHEAD_TARGET}%)`,
          );
        }
      });
  },
};
