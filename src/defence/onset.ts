/**
 * Trends and their onset, pure. A series (one value per step, the current step last) is rising when,
 * over its last `window` values, the least-squares slope is positive and the value rose by at least
 * `minRise` from the window's first value (relative to it with `relative`). The onset is the first
 * step of a rise: rising now, not at the step before.
 */

export interface Trend {
  rising: boolean;
  /** Rise over the window (relative with `relative`); 0 with too short a series. */
  rise: number;
  slope: number;
}

/** Least-squares slope of values at x = 0, 1, 2, ... */
export function slope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((v, i) => {
    num += (i - mx) * (v - my);
    den += (i - mx) ** 2;
  });
  return num / den;
}

export function trendOf(options: {
  series: readonly number[];
  window: number;
  minRise: number;
  relative?: boolean;
}): Trend {
  const { series, window, minRise } = options;
  if (series.length < window || window < 2) return { rising: false, rise: 0, slope: 0 };
  const last = series.slice(-window);
  const first = last[0]!;
  const delta = last.at(-1)! - first;
  const rise = options.relative === true ? delta / Math.max(Math.abs(first), 1e-9) : delta;
  const s = slope(last);
  return { rising: s > 0 && rise >= minRise, rise, slope: s };
}

/** Whether a trend rising now began at this step (it was not rising at the step before). */
export function isOnset(options: { risingNow: boolean; risingBefore: boolean }): boolean {
  return options.risingNow && !options.risingBefore;
}
