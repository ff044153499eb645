/**
 * Advantage estimation over a batch of G responses per prompt. A reward of `null` means the
 * response could not be scored: it is left out of every baseline and statistic and gets no
 * advantage (null, masked from the loss), never a zero.
 */
export interface AdvantageInput {
  /** One reward per response; null for unscorable. */
  readonly rewards: readonly (number | null)[];
  /** The prompt group of each response (any integers; members need not be adjacent). */
  readonly groupIds: readonly number[];
  /** Added to a standard deviation before dividing (default 1e-6). */
  readonly eps?: number;
  /**
   * Dynamic sampling: drop groups whose scored rewards are all equal (or that have fewer than two
   * scored responses). They carry no learning signal for group-relative estimators.
   */
  readonly dropZeroVariance?: boolean;
}

/** Per-group statistics over its scored responses. */
export interface GroupSummary {
  readonly groupId: number;
  /** Responses in the group, scored or not. */
  readonly size: number;
  /** Responses with a reward. */
  readonly scored: number;
  /** Mean scored reward (NaN when none is scored). */
  readonly mean: number;
  /** Unbiased (n - 1) standard deviation of scored rewards; 0 below two scored responses. */
  readonly std: number;
  /** All scored rewards are equal, or fewer than two are scored. */
  readonly zeroVariance: boolean;
  /** Left out of the batch: its advantages are all null. */
  readonly dropped: boolean;
}

export interface AdvantageResult {
  /** One per response: a number, or null where masked (unscorable, or its group dropped). */
  readonly advantages: (number | null)[];
  /** One per distinct group id, in order of first appearance. */
  readonly groups: GroupSummary[];
}

export interface AdvantageEstimator {
  readonly name: string;
  readonly description: string;
  compute(input: AdvantageInput): AdvantageResult;
}
