/**
 * Clips a reward into [floor, 1]. Applied after the interactions (which can push the mean outside
 * the range, and penalties can make the mean negative) and again after shaping, where it only guards
 * against rounding.
 */
export function clipReward(options: { value: number; floor: number }): number {
  return Math.min(1, Math.max(options.floor, options.value));
}
