import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { readRunConfigText } from '../../config/load.ts';
import { learningSummary } from '../../train/learning-summary.ts';
import { ValidationError } from '../../util/errors.ts';
import { out } from '../io.ts';
import type { BenchSubcommand } from './bench-subcommand.ts';
import { runTrain } from './train.ts';

const LearningOptions = z.object({
  config: z.string().min(1),
  seeds: z.string().min(1),
  json: z.boolean().default(false),
});

/** `--seeds 0,1,2` as numbers, naming the flag when one is not a non-negative integer. */
export function parseSeeds(value: string): number[] {
  const seeds = value.split(',').map((s) => s.trim());
  const parsed = seeds.map(Number);
  const bad = seeds.filter((s, i) => s === '' || !Number.isSafeInteger(parsed[i]) || parsed[i]! < 0);
  if (bad.length > 0 || new Set(parsed).size !== parsed.length) {
    throw new ValidationError(`--seeds: expected distinct integers >= 0 separated by commas, got '${value}'`);
  }
  return parsed;
}

/** The configuration text with its run seed (`seed:`) replaced; comments and layout are kept. */
export function withSeed(text: string, seed: number): string {
  const doc = parseDocument(text);
  doc.set('seed', seed);
  return doc.toString();
}

/** One seed's run: the held-out reward before and after. */
interface SeedResult {
  seed: number;
  trainRunId: string;
  status: string;
  before: number | null;
  after: number | null;
  delta: number | null;
  seconds: number;
}

/**
 * `anchorage bench learning`: runs one configuration once per seed (a real training run each, on the
 * local Temporal server with an in-process worker, as `anchorage train` does) and prints each run's
 * held-out mean reward before and after, and the deltas.
 */
export const learningBench: BenchSubcommand = {
  name: 'learning',
  register(bench: Command) {
    bench
      .command('learning')
      .description(
        'train one configuration once per seed and print the held-out reward before and after each run',
      )
      .option('--config <file>', 'run configuration (YAML)', 'configs/quickstart.yaml')
      .option('--seeds <list>', 'run seeds, comma-separated', '0,1,2')
      .option('--json', 'print one JSON object at the end')
      .action(async (raw: unknown) => {
        const options = LearningOptions.parse(raw);
        const seeds = parseSeeds(options.seeds);
        const text = readRunConfigText(options.config);
        const results: SeedResult[] = [];
        for (const seed of seeds) {
          out(`\n=== seed ${seed} ===`);
          const started = performance.now();
          const outcome = await runTrain({ config: options.config }, { text: withSeed(text, seed) });
          if (outcome === undefined) return;
          const summary = learningSummary(outcome.metrics);
          results.push({
            seed,
            trainRunId: outcome.trainRunId,
            status: outcome.status,
            before: summary?.before.reward ?? null,
            after: summary?.after.reward ?? null,
            delta: summary?.delta ?? null,
            seconds: (performance.now() - started) / 1000,
          });
        }
        printSeedTable(results);
        if (options.json) out(JSON.stringify({ bench: 'learning', config: options.config, results }));
      });
  },
};

function printSeedTable(results: readonly SeedResult[]): void {
  const f = (v: number | null, signed = false) =>
    v === null ? 'n/a' : `${signed && v >= 0 ? '+' : ''}${v.toFixed(3)}`;
  out('\nseed  held-out before  after   delta   minutes  run');
  for (const r of results) {
    out(
      `${String(r.seed).padStart(4)}  ${f(r.before).padStart(15)}  ${f(r.after).padStart(5)}  ${f(r.delta, true).padStart(6)}  ${(r.seconds / 60).toFixed(1).padStart(7)}  ${r.trainRunId} (${r.status})`,
    );
  }
  out(`deltas: ${results.map((r) => f(r.delta, true)).join(', ')}`);
}
