import { availableParallelism, loadavg } from 'node:os';

/** Min, median and max of a benchmark figure over rounds. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number };
}

/** "min / median / max" with `digits` decimals. */
export function formatSpread(s: Spread, digits = 1): string {
  return `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;
}

/** The 1-minute load average, sampled before and after a benchmark. */
export function loadAverage(): number {
  return loadavg()[0] as number;
}

/**
 * Whether a ratio measured under these load averages may be reported: other work skews it, so
 * a load above half the cores (before or after) withholds it unless forced, and then it is marked.
 */
export function quietEnough(options: { loads: readonly number[]; cores?: number; force: boolean }): {
  report: boolean;
  forced: boolean;
  limit: number;
} {
  const limit = (options.cores ?? availableParallelism()) / 2;
  const quiet = options.loads.every((l) => l <= limit);
  return { report: quiet || options.force, forced: !quiet && options.force, limit };
}
