/**
 * Pure helpers that map data to chart coordinates: a linear scale, "nice" axis ticks (1, 2 or 5
 * times a power of ten) and tick labels.
 */

export type Domain = readonly [number, number];

/** Rounds away the float noise of tick arithmetic (0.30000000000000004 -> 0.3). */
function clean(v: number): number {
  return Number(v.toPrecision(12));
}

/** Smallest and largest finite value; undefined when there is none. */
export function valueExtent(values: Iterable<number | null | undefined>): Domain | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** A domain of positive width: a single value v becomes v ± max(|v| / 10, pad). */
export function widen(domain: Domain, pad = 1): Domain {
  const [lo, hi] = domain;
  if (hi > lo) return domain;
  const half = Math.max(Math.abs(lo) / 10, pad);
  return [lo - half, hi + half];
}

/** Maps `domain` linearly onto `range` (either may be reversed, as the y axis of an SVG is). */
export function linearScale(options: { domain: Domain; range: Domain }): (v: number) => number {
  const [d0, d1] = widen(options.domain);
  const [r0, r1] = options.range;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** The nice step (1, 2 or 5 times a power of ten) closest above `span / count`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return clean(nice * power);
}

/**
 * About `count` ticks over `domain`. By default the domain is extended outward to the first and last
 * tick (y axes); with `extend: false` it is kept and the ticks are those inside it (x axes). With
 * `integer`, steps are whole numbers (x axes count training steps).
 */
export function niceTicks(options: { domain: Domain; count?: number; integer?: boolean; extend?: boolean }): {
  ticks: number[];
  domain: Domain;
  step: number;
} {
  const [d0, d1] = options.domain;
  // A span below what 12 significant digits resolve is one value (the ticks could not tell it apart).
  const tiny = d1 - d0 <= Math.max(Math.abs(d0), Math.abs(d1)) * 1e-10 || d1 - d0 < 1e-200;
  const [lo, hi] = widen(tiny ? [d0, d0] : options.domain, options.integer ? 0.5 : 1);
  let step = niceStep(hi - lo, options.count ?? 5);
  if (options.integer) step = Math.max(1, Math.round(step));
  const extend = options.extend ?? true;
  let first = clean((extend ? Math.floor(lo / step) : Math.ceil(lo / step)) * step);
  let last = clean((extend ? Math.ceil(hi / step) : Math.floor(hi / step)) * step);
  // Rounding (a quotient that underflows, a tick cleaned past the data) must not cut data off.
  if (extend && first > lo) first = clean(first - step);
  if (extend && last < hi) last = clean(last + step);
  const ticks: number[] = [];
  const n = Math.round((last - first) / step);
  for (let i = 0; i <= n; i++) ticks.push(clean(first + i * step));
  return { ticks, domain: extend ? [first, last] : [lo, hi], step };
}

/** A tick label with as many decimals as the step needs; exponent form for very small or large. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || step < 1e-4) return value.toExponential(1);
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
  return value.toFixed(decimals);
}

/** A value for a table cell or tooltip: 3 significant digits, exponent form when tiny or huge. */
export function formatValue(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) return value.toExponential(2);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}
