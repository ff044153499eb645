import { ValidationError } from '../util/errors.ts';

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
] as const;

/** Whole numbers with units, largest first, each unit at most once: `30m`, `2h`, `1h30m`, `1d`. */
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Parses a duration flag such as `30m`, `2h`, `1h30m` or `1d` (units d, h, m, s) into milliseconds.
 * The error names the flag and what was expected.
 */
export function parseDuration(value: string, flag: string, options: { minMs?: number } = {}): number {
  const minMs = options.minMs ?? 1_000;
  const m = DURATION.exec(value.trim());
  let ms = Number.NaN;
  if (m !== null && value.trim() !== '') {
    ms = UNITS.reduce((sum, [, unitMs], i) => sum + Number(m[i + 1] ?? 0) * unitMs, 0);
  }
  if (!Number.isSafeInteger(ms) || ms < minMs) {
    throw new ValidationError(
      `${flag}: expected a duration such as 30m, 2h or 1h30m (whole numbers with d, h, m or s, largest unit first) of at least ${formatDuration(minMs)}, got '${value}'`,
    );
  }
  return ms;
}

/** Milliseconds as `parseDuration` reads them: `1h30m`, `45s`; whole seconds (rounded down). */
export function formatDuration(ms: number): string {
  let rest = Math.floor(ms / 1_000) * 1_000;
  if (rest <= 0) return '0s';
  let text = '';
  for (const [unit, unitMs] of UNITS) {
    const n = Math.floor(rest / unitMs);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * unitMs;
  }
  return text;
}
