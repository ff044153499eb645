/**
 * Linear falloff used by graded text checks: 1 at or inside `good`, 0 at or beyond `bad`, linear in
 * between. Works in either direction (`bad` above `good` for "at most", below it for "at least").
 */
export function linearFalloff(options: { value: number; good: number; bad: number }): number {
  const { value, good, bad } = options;
  if (bad === good) return value === good ? 1 : 0;
  const t = (value - good) / (bad - good);
  if (t <= 0) return 1;
  if (t >= 1) return 0;
  return 1 - t;
}

/** Formats a number for reasons: at most two decimals, no trailing zeros. */
export function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}
