/**
 * Overlong handling (DAPO). Responses cut off at `maxNewTokens` carry a reward for an unfinished
 * answer, which is noise to the policy; two remedies, both off by default:
 *
 * - the soft overlong penalty, added to the reward: 0 up to L_max - L_cache tokens, then falling
 *   linearly to -factor at L_max (and -factor beyond), with L_max = maxNewTokens and L_cache the
 *   buffer before it:
 *     penalty(n) = 0                                   n <= L_max - L_cache
 *                = -factor · (n - (L_max - L_cache)) / L_cache    L_max - L_cache < n <= L_max
 *                = -factor                              n > L_max
 *   A buffer longer than L_max is allowed: the ramp then starts below 0 tokens, so even an empty
 *   answer carries part of the penalty.
 * - masking truncated answers (finish reason `length`) out of the loss: they keep their place in
 *   their group's reward baseline, only their own gradient is dropped.
 */
export interface OverlongPenaltyOptions {
  /** Response length in tokens (the stop token that ended it included). */
  length: number;
  maxNewTokens: number;
  /** L_cache; 0 turns the penalty off. */
  bufferTokens: number;
  /** The penalty at L_max (a positive number; the penalty is its negative). */
  factor: number;
}

export function overlongPenalty(options: OverlongPenaltyOptions): number {
  const { length, maxNewTokens, bufferTokens, factor } = options;
  if (bufferTokens === 0 || factor === 0) return 0;
  const start = maxNewTokens - bufferTokens;
  if (length <= start) return 0;
  if (length > maxNewTokens) return -factor;
  return (-factor * (length - start)) / bufferTokens;
}

/** The finish reason of a response cut off at the token limit. */
export const TRUNCATED_FINISH_REASON = 'length';

/** Whether a response enters the loss: not when it was truncated and truncated answers are masked. */
export function entersLoss(options: { finishReason: string; maskTruncated: boolean }): boolean {
  return !(options.maskTruncated && options.finishReason === TRUNCATED_FINISH_REASON);
}
