import type { Command } from 'commander';

/** One benchmark of `anchorage bench` (bench.ts lists them): its name and how it registers. */
export interface BenchSubcommand {
  name: string;
  register(bench: Command): void;
}
