import { ValidationError } from '../../util/errors.ts';
import type { AdvantageInput, GroupSummary } from './types.ts';

/**
 * Batch in flat arrays: rewards as float64 with a scored mask, each response's dense group slot,
 * and per-slot statistics. Computed in a few passes over typed arrays; the estimators are then
 * elementwise maps.
 */
export interface GroupedBatch {
  readonly n: number;
  readonly rewards: Float64Array;
  readonly scored: Uint8Array;
  /** Dense group index per response (0..groups-1, in order of first appearance). */
  readonly slot: Int32Array;
  readonly groups: GroupSummary[];
  /** Per slot: count, mean and unbiased std of scored rewards, and whether the group is dropped. */
  readonly count: Float64Array;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly dropped: Uint8Array;
  readonly eps: number;
}

export function groupBatch(input: AdvantageInput): GroupedBatch {
  const { rewards: raw, groupIds } = input;
  const n = raw.length;
  if (groupIds.length !== n) {
    throw new ValidationError(`groupIds has ${groupIds.length} entries, rewards has ${n}`, {
      location: { field: 'groupIds' },
    });
  }
  const eps = input.eps ?? 1e-6;
  if (!(eps >= 0)) throw new ValidationError(`eps must be >= 0, got ${eps}`, { location: { field: 'eps' } });
  const rewards = new Float64Array(n);
  const scored = new Uint8Array(n);
  const slot = new Int32Array(n);
  const slotOf = new Map<number, number>();
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = raw[i];
    const g = groupIds[i] as number;
    if (!Number.isInteger(g)) {
      throw new ValidationError(`groupIds[${i}] must be an integer, got ${g}`, {
        location: { field: `groupIds[${i}]` },
      });
    }
    if (r !== null && r !== undefined) {
      if (!Number.isFinite(r)) {
        throw new ValidationError(`rewards[${i}] is ${r}; an unscorable reward must be null`, {
          location: { field: `rewards[${i}]` },
        });
      }
      rewards[i] = r;
      scored[i] = 1;
    }
    let s = slotOf.get(g);
    if (s === undefined) {
      s = ids.length;
      slotOf.set(g, s);
      ids.push(g);
    }
    slot[i] = s;
  }
  const k = ids.length;
  const size = new Float64Array(k);
  const count = new Float64Array(k);
  const sum = new Float64Array(k);
  const lo = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
  const hi = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    const s = slot[i] as number;
    size[s]! += 1;
    if (scored[i] === 0) continue;
    const r = rewards[i] as number;
    count[s]! += 1;
    sum[s]! += r;
    if (r < (lo[s] as number)) lo[s] = r;
    if (r > (hi[s] as number)) hi[s] = r;
  }
  const mean = new Float64Array(k);
  for (let s = 0; s < k; s++)
    mean[s] = (count[s] as number) > 0 ? (sum[s] as number) / (count[s] as number) : Number.NaN;
  // Second pass for the variance: sums of squared deviations are stable where E[x²]-E[x]² is not.
  const ss = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    if (scored[i] === 0) continue;
    const s = slot[i] as number;
    const d = (rewards[i] as number) - (mean[s] as number);
    ss[s]! += d * d;
  }
  const std = new Float64Array(k);
  const dropped = new Uint8Array(k);
  const groups: GroupSummary[] = [];
  for (let s = 0; s < k; s++) {
    const c = count[s] as number;
    std[s] = c >= 2 ? Math.sqrt((ss[s] as number) / (c - 1)) : 0;
    const zeroVariance = c < 2 || lo[s] === hi[s];
    dropped[s] = input.dropZeroVariance === true && zeroVariance ? 1 : 0;
    groups.push({
      groupId: ids[s] as number,
      size: size[s] as number,
      scored: c,
      mean: mean[s] as number,
      std: std[s] as number,
      zeroVariance,
      dropped: dropped[s] === 1,
    });
  }
  return { n, rewards, scored, slot, groups, count, mean, std, dropped, eps };
}

/** Advantages from an elementwise rule, masked where unscored or dropped. */
export function mapAdvantages(
  batch: GroupedBatch,
  rule: (options: { reward: number; slot: number }) => number,
): (number | null)[] {
  const out: (number | null)[] = new Array(batch.n);
  for (let i = 0; i < batch.n; i++) {
    const s = batch.slot[i] as number;
    out[i] =
      batch.scored[i] === 1 && batch.dropped[s] === 0
        ? rule({ reward: batch.rewards[i] as number, slot: s })
        : null;
  }
  return out;
}

/** Mean and unbiased std over the rewards that keep an advantage (scored, group not dropped). */
export function batchMoments(values: readonly (number | null)[]): {
  mean: number;
  std: number;
  count: number;
} {
  let count = 0;
  let sum = 0;
  for (const v of values) {
    if (v === null) continue;
    count++;
    sum += v;
  }
  const mean = count > 0 ? sum / count : 0;
  let ss = 0;
  for (const v of values) if (v !== null) ss += (v - mean) ** 2;
  return { mean, std: count >= 2 ? Math.sqrt(ss / (count - 1)) : 0, count };
}
