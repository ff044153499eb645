import { readFileSync } from 'node:fs';
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

/** The 1-minute load average. */
export function loadAverage(): number {
  return loadavg()[0] as number;
}

/** Busy CPU seconds of the whole machine (Linux /proc/stat), or undefined elsewhere. */
function machineBusySeconds(): number | undefined {
  try {
    const cpu =
      readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    const busy = cpu.slice(0, 8).reduce((a, v, i) => (i === 3 || i === 4 ? a : a + v), 0);
    return busy / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

/**
 * Watches what other processes do while a benchmark runs: the machine's busy CPU time minus this
 * process's own (its worker threads and an in-process peer included), over the wall time. A load
 * average cannot tell this on a small machine, where the benchmark's own threads raise it.
 */
export function watchOtherWork(): () => { otherCores: number; wallSeconds: number } {
  const started = performance.now();
  const busy = machineBusySeconds();
  const own = process.cpuUsage();
  return () => {
    const wallSeconds = (performance.now() - started) / 1000;
    const busyNow = machineBusySeconds();
    const ownDelta = process.cpuUsage(own);
    const ownSeconds = (ownDelta.user + ownDelta.system) / 1e6;
    if (busy === undefined || busyNow === undefined || wallSeconds <= 0)
      return { otherCores: 0, wallSeconds };
    return { otherCores: Math.max(0, (busyNow - busy - ownSeconds) / wallSeconds), wallSeconds };
  };
}

/**
 * Whether ratios measured under these conditions may be reported: the load average before the
 * benchmark started at most half the cores, and other processes using at most a tenth of the
 * cores on average while it ran. Otherwise they are withheld, unless forced, and then marked.
 */
export function quietEnough(options: {
  startLoad: number;
  otherCores: number;
  cores?: number;
  force: boolean;
}): { report: boolean; forced: boolean; loadLimit: number; otherLimit: number } {
  const cores = options.cores ?? availableParallelism();
  const loadLimit = cores / 2;
  const otherLimit = cores / 10;
  const quiet = options.startLoad <= loadLimit && options.otherCores <= otherLimit;
  return { report: quiet || options.force, forced: !quiet && options.force, loadLimit, otherLimit };
}
